import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

registry.category("web_tour.tours").add("crm_review_bulk_approve_tour", {
    steps: () => [
        {
            content: "The reviewer's list shows the step waiting for them",
            trigger: ".o_list_view .o_data_row td[name=review_step_label]:contains(Manager)",
        },
        {
            content: "Create Invoices is not offered to a reviewer",
            trigger: ".o_control_panel:not(:has(button:contains(Create Invoices)))",
        },
        {
            content: "Select every order",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve them from the list",
            trigger: ".o_selection_container button.btn-primary:contains(Approve)",
            run: "click",
        },
        {
            content: "A summary says what was approved",
            trigger: ".o_notification:contains(2 approved)",
        },
        {
            content: "The list reloads: the orders left the reviewer's list (they wait for Finance)",
            trigger: ".o_list_view:not(:has(td[name=review_step_label]:contains(Manager)))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_rule_admin_tour", {
    steps: () => [
        {
            content: "New rule",
            trigger: ".o_list_view .o_list_button_add, .o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Discounted orders",
        },
        {
            content: "A review administrator picks the model",
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
            content: "Specific users: only the reviewers field shows",
            trigger: ".modal:has(.o_field_widget[name=user_ids]):not(:has(.o_field_widget[name=group_id]))",
        },
        {
            content: "Members of a group",
            trigger: ".modal .o_field_widget[name=approver_type] input[data-value=group]",
            run: "click",
        },
        {
            trigger: ".modal:has(.o_field_widget[name=group_id]):not(:has(.o_field_widget[name=user_ids]))",
        },
        {
            content: "No group is created from a step",
            trigger: ".modal .o_field_widget[name=group_id] input",
            run: "edit Review controllers",
        },
        {
            trigger: ".o-autocomplete--dropdown-menu:not(:has(.o_m2o_dropdown_option_create))",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Review controllers)",
            run: "click",
        },
        {
            content: "Back to specific users",
            trigger: ".modal .o_field_widget[name=approver_type] input[data-value=users]",
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
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_field_widget[name=step_ids] .o_data_row:contains(Head of sales)",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: Simulate is offered",
            trigger: ".o_form_view .o_form_statusbar button[name=action_simulate]",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_phone_tour", {
    steps: () => [
        {
            content: "On a phone, To Review opens as cards: record, step and submitter",
            trigger: ".o_kanban_view .o_kanban_record:contains(S0):contains(Manager):has(.o_field_many2one_avatar_user)",
            run: "click",
        },
        {
            content: "Approve and Reject are visible buttons on the phone",
            trigger: ".o_form_view div[name=review_pending] button[name=action_review_approve]:visible",
        },
        {
            trigger: ".o_form_view div[name=review_pending] button[name=action_review_reject]:visible",
        },
        ...screenshot("review_phone", ".o_form_view div[name=review_pending]"),
        {
            content: "Key fields cannot be edited while the order is under review",
            trigger: ".o_form_view .o_field_widget[name=partner_id].o_readonly_modifier",
        },
        {
            trigger: ".o_form_view div[name=review_pending] button[name=action_review_approve]:visible",
            run: "click",
        },
        {
            content: "The next step waits",
            trigger: ".o_form_view div[name=review_pending]:contains(Finance)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_phone_orders_tour", {
    steps: () => [
        {
            content: "On a phone, Orders to Review opens as cards: customer, amount, step, submitter",
            trigger: ".o_kanban_view .o_kanban_record:contains(Big Customer):contains(Manager):has(.o_field_monetary):has(.o_field_many2one_avatar_user)",
        },
    ],
});
