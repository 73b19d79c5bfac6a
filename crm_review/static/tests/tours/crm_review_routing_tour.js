import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

// Data comes from the Python test: a quotation waiting for Rita at its first step; Li Na reviews too.

registry.category("web_tour.tours").add("crm_review_forward_tour", {
    steps: () => [
        {
            content: "Forward sits next to Approve and Reject",
            trigger: ".o_form_view .o_form_statusbar:has(button[name=action_review_approve]) button[name=action_review_forward]",
            run: "click",
        },
        {
            content: "Choose who decides instead",
            trigger: ".modal .o_field_widget[name=user_id] input",
            run: "edit Li Na",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Li Na)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Ask Li, she knows this customer",
        },
        {
            content: "Close the users' suggestions",
            trigger: ".modal .modal-title",
            async run(helpers) {
                for (let tries = 0; tries < 20; tries++) {
                    await helpers.click();
                    await new Promise((resolve) => setTimeout(resolve, 300));
                    if (!document.querySelector(".o-autocomplete--dropdown-menu")) {
                        break;
                    }
                }
            },
        },
        ...screenshot(
            "review_forward_wizard",
            "body:not(:has(.o-autocomplete--dropdown-menu)) .modal .o_form_view .o_field_widget[name=note]"
        ),
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Handed over: back to the steps to review, where the quotation is no longer",
            trigger: ".o_action_manager .o_list_view, .o_action_manager .o_kanban_view",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_revoke_tour", {
    steps: () => [
        {
            content: "The reviewer approved the first step; the second waits for someone else",
            trigger: ".o_form_view div[name=review_pending]:contains(Finance (2/2))",
        },
        {
            content: "Revoke the approval",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_revoke]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The first step waits for the reviewer again",
            trigger: ".o_form_view div[name=review_pending]:contains(Manager (1/2))",
        },
        ...screenshot(
            "review_revoked",
            ".o_form_view .o_form_statusbar:has(button[name=action_review_approve]):not(:has(button[name=action_review_revoke]))"
        ),
    ],
});

// A search still running when a user was picked may open the suggestions again: close them.
function closeSuggestions() {
    return {
        content: "Close the suggestions",
        trigger: ".modal .modal-title",
        async run(helpers) {
            for (let tries = 0; tries < 20; tries++) {
                await helpers.click();
                await new Promise((resolve) => setTimeout(resolve, 300));
                if (!document.querySelector(".o-autocomplete--dropdown-menu")) {
                    break;
                }
            }
        },
    };
}

registry.category("web_tour.tours").add("crm_review_reassign_tour", {
    steps: () => [
        {
            content: "Open the Reviews configuration menu",
            trigger: ".o_main_navbar button:contains(Configuration)",
            run: "click",
        },
        {
            trigger: ".dropdown-item:contains(Replace a Reviewer)",
            run: "click",
        },
        {
            content: "The reviewer who left",
            trigger: ".modal .o_field_widget[name=from_user_id] input",
            run: "edit Rita Reviewer",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rita Reviewer)",
            run: "click",
        },
        closeSuggestions(),
        {
            trigger: ".modal .o_field_widget[name=from_user_id] input:value(Rita Reviewer)",
        },
        {
            content: "Who replaces her",
            trigger: ".modal .o_field_widget[name=to_user_id] input",
            run: "edit Li Na",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Li Na)",
            run: "click",
        },
        closeSuggestions(),
        {
            content: "The dialog lists the steps it will change before anything is changed",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Manager)",
        },
        {
            trigger: ".modal .o_field_widget[name=line_count]:contains(1)",
        },
        ...screenshot(
            "review_reassign_wizard",
            "body:not(:has(.o-autocomplete--dropdown-menu)) .modal .o_field_widget[name=line_ids] .o_data_row"
        ),
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Done: the dialog closes with a summary",
            trigger: ".o_notification:contains(replaced by Li Na on)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_forward_phone_tour", {
    steps: () => [
        {
            content: "On a phone, Forward sits in the banner with Approve and Reject",
            trigger: ".o_form_view div[name=review_pending]:has(button[name=action_review_approve]) button[name=action_review_forward]",
            run: "click",
        },
        {
            content: "A phone chooses the user in a dialog of its own",
            trigger: ".modal .o_field_widget[name=user_id] input",
            run: "click",
        },
        {
            trigger: ".modal .o_kanban_record:contains(Li Na)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=user_id]:has(input:value(Li Na)), .modal .o_field_widget[name=user_id]:contains(Li Na)",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit From my phone",
        },
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Handed over: back to the steps to review",
            trigger: "body:not(:has(.modal)) .o_action_manager .o_kanban_view, body:not(:has(.modal)) .o_action_manager .o_list_view",
        },
    ],
});
