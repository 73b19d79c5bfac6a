import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

// Data comes from the Python test: a quotation over the rule's threshold.

registry.category("web_tour.tours").add("crm_review_sale_submit_tour", {
    steps: () => [
        {
            content: "The quotation says it needs review",
            trigger: ".o_form_view div[name=review_needed]:contains(This quotation needs review)",
        },
        {
            content: "Submit for Review is the primary action; Confirm is not offered",
            trigger:
                ".o_form_view .o_form_statusbar:has(button.btn-primary[name=action_review_submit]):not(:has(button[name=action_confirm]))",
        },
        {
            content: "Sending stays possible, as a secondary action",
            trigger: ".o_form_view .o_form_statusbar button[name=action_quotation_send]:not(.btn-primary)",
        },
        {
            content: "Submit the quotation for review",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_submit]",
            run: "click",
        },
        {
            content: "The banner says who reviews it",
            trigger: ".o_form_view div[name=review_pending]:contains(Manager (1/2)):contains(Rita Reviewer)",
        },
        {
            content: "The submitter can recall, not approve",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_recall]",
        },
        {
            trigger: ".o_form_view:not(:has(.o_form_statusbar button[name=action_review_approve]))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_sale_reject_tour", {
    steps: () => [
        {
            content: "Reject from the form header",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_reject]",
            run: "click",
        },
        {
            content: "Pick a reason from the catalog",
            trigger: ".modal .o_field_widget[name=reason_id] input",
            run: "edit Incomplete",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Incomplete information), ul.ui-autocomplete a:contains(Incomplete information)",
            run: "click",
        },
        {
            content: "The guidance is shown",
            trigger: ".modal .o_field_widget[name=guidance]:contains(Complete the missing information)",
        },
        {
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Delivery address missing",
        },
        {
            // A search still running when the reason was picked may open the suggestions again.
            content: "Close the reasons' suggestions",
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
        ...screenshot("review_reject_wizard", "body:not(:has(.o-autocomplete--dropdown-menu)) .modal .o_form_view"),
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The order is rejected",
            trigger: ".o_form_view .o_field_widget[name=review_state]:contains(Rejected)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_sale_approve_tour", {
    steps: () => [
        {
            content: "Approve the first step from the form header",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
            run: "click",
        },
        {
            content: "The second step is now pending",
            trigger: ".o_form_view div[name=review_pending]:contains(Finance (2/2))",
        },
        {
            content: "Approve the second step",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
            run: "click",
        },
        {
            content: "The review is complete",
            trigger: ".o_form_view .o_field_widget[name=review_state]:contains(Approved)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_sale_confirm_tour", {
    steps: () => [
        {
            content: "The salesperson confirms the approved quotation",
            trigger: ".o_form_view .o_form_statusbar button[name=action_confirm]:visible",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Sales Order)",
        },
    ],
});
