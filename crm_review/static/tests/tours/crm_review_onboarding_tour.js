import { registry } from "@web/core/registry";

// Data comes from the Python tests (crm_review/tests/test_review_onboarding.py).

registry.category("web_tour.tours").add("crm_review_rule_activate_tour", {
    steps: () => [
        {
            content: "New rule",
            trigger: ".o_list_view .o_list_button_add, .o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            content: "A new rule is a draft, and says so",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
        {
            trigger: ".o_form_view .alert-info:contains(This rule is a draft: it stops nothing yet)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Every quotation",
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
            content: "Add a step",
            trigger: ".o_field_widget[name=step_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Head of sales",
        },
        {
            trigger: ".modal .o_field_widget[name=user_ids] input",
            run: "edit Rita",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rita Reviewer)",
            run: "click",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal)) .o_field_widget[name=step_ids] .o_data_row:contains(Head of sales)",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved, still a draft: Activate is offered",
            trigger: ".o_form_view .o_form_saved .o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
        {
            trigger: ".o_form_view .o_form_statusbar button[name=action_activate]",
            run: "click",
        },
        {
            content: "Activate shows what the rule would catch: her two quotations, not the others'",
            trigger: ".modal .o_field_widget[name=impact]:contains(catches 2 open record(s) of Sales Order)",
        },
        {
            trigger: ".modal .o_field_widget[name=impact]:contains(Records you cannot read are neither counted nor shown.)",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The rule is active",
            trigger: "body:not(:has(.modal)) .o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Active)",
        },
        {
            trigger: ".o_form_view:not(:has(.o_form_statusbar button[name=action_activate]))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_setup_tour", {
    steps: () => [
        {
            content: "No rule yet: the empty list offers to set reviews up",
            trigger: ".o_view_nocontent a:contains(Set up reviews)",
            run: "click",
        },
        {
            content: "The first rule: quotations over an amount",
            trigger: ".modal .o_field_widget[name=template] input[data-value=order_amount]:checked",
        },
        {
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 50000",
        },
        {
            content: "Reviewed by a named reviewer",
            trigger: ".modal .o_field_widget[name=reviewer_type] input[data-value=users]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=user_ids] input",
            run: "edit Rita",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Rita Reviewer)",
            run: "click",
        },
        {
            content: "The rule's name follows the amount",
            trigger: ".modal .o_field_widget[name=rule_name] input:value(50)",
        },
        {
            trigger: ".modal .modal-footer button[name=action_create_rule]",
            run: "click",
        },
        {
            content: "The rule opens, a draft with its step",
            trigger: "body:not(:has(.modal)) .o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Draft)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=step_ids] .o_data_row:contains(Approval):contains(Rita Reviewer)",
        },
        {
            trigger: ".o_form_view .o_form_statusbar button[name=action_activate]",
        },
    ],
});
