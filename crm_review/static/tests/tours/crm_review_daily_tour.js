import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

// Data comes from the Python tests (crm_review/tests/test_review_ui.py).

registry.category("web_tour.tours").add("crm_review_rule_without_steps_tour", {
    steps: () => [
        {
            content: "Settings: the Reviews section",
            trigger: ".settings_tab .tab[data-key=crm_review]",
            run: "click",
        },
        {
            content: "Open the review rules",
            trigger: ".app_settings_block[data-key=crm_review] button[name='crm_review.crm_review_rule_action']",
            run: "click",
        },
        {
            content: "New rule",
            trigger: ".o_list_view .o_list_button_add, .o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Half-made rule",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=model_id] input",
            run: "edit Sales Order",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Sales Order)",
            run: "click",
        },
        {
            content: "A new rule is a draft: it stops nothing yet",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
        {
            content: "Save without any step: a draft may be half-made",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved, .o_form_view .o_form_status_indicator:not(:has(.o_form_button_save))",
        },
        {
            content: "Activate it",
            trigger: ".o_form_view .o_form_statusbar button[name=action_activate]",
            run: "click",
        },
        {
            content: "Activating is refused: a step is missing",
            trigger: ".modal:contains(Rule Half-made rule has no step: add at least one step)",
        },
        {
            trigger: ".modal .modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "The rule is still a draft",
            trigger: "body:not(:has(.modal)) .o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
        {
            content: "Back to the rules",
            trigger: ".o_breadcrumb li.o_back_button a:contains(Review Rules)",
            run: "click",
        },
        {
            content: "The half-made rule is listed as a draft",
            trigger: ".o_list_view .o_data_row:contains(Half-made rule) .o_field_widget[name=state]:contains(Draft)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_todo_done_tour", {
    steps: () => [
        {
            content: "The order waits for the reviewer's step",
            trigger: ".o_form_view div[name=review_pending]:contains(Manager (1/2)):contains(Rita Reviewer)",
        },
        {
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
        },
        ...screenshot("review_banner", ".o_form_view div[name=review_pending]"),
        {
            content: "The review to-do is in the chatter, due today",
            trigger: ".o-mail-Activity:contains(Today:):contains(Review: Manager)",
        },
        ...screenshot("review_todo", ".o-mail-Activity:contains(Review: Manager)", "center"),
        {
            content: "Mark it done",
            trigger: ".o-mail-Activity:contains(Review: Manager) .o-mail-Activity-markDone",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: "edit Prices checked",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label=Done]",
            run: "click",
        },
        {
            content: "Without reloading the page, the banner moves to the next step",
            trigger: ".o_form_view div[name=review_pending]:contains(Controller (2/2))",
        },
        {
            content: "Approve is no longer offered to this reviewer",
            trigger: ".o_form_view .o_form_statusbar:not(:has(button[name=action_review_approve]))",
        },
        {
            content: "The to-do left the chatter; the approval is in the history",
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Activity)):has(.o-mail-Message:contains(Prices checked))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_systray_tour", {
    steps: () => [
        {
            content: "Open the activities of the systray",
            trigger: ".o_menu_systray .o-mail-ActivityMenu-counter",
            run: "click",
        },
        {
            content: "Sales orders: the reviews due today",
            trigger: ".o-mail-ActivityGroup[data-model_name='sale.order'] span.btn-link:contains(2 Today)",
            run: "click",
        },
        {
            content: "The two real orders waiting for the reviewer are listed, not sample rows",
            trigger: ".o_list_view:not(.o_view_sample_data) .o_data_row:contains(Big Customer)",
        },
        {
            trigger: ".o_control_panel .o_pager_counter:contains(1-2 / 2)",
        },
        {
            trigger: ".o_control_panel .o_searchview_facet:contains(Today)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_approve_step_tour", {
    steps: () => [
        {
            content: "Approve the first step",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
            run: "click",
        },
        {
            content: "The second step waits for its reviewers",
            trigger: ".o_form_view div[name=review_pending]:contains(Controller (2/2)):contains(Rob Reviewer)",
        },
    ],
});
