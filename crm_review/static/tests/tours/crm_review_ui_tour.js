import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";
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

registry.category("web_tour.tours").add("crm_review_inbox_tour", {
    steps: () => [
        {
            content: "The inbox shows what the reviewer decides on: document, customer, amount, submitter, step",
            trigger: ".o_list_view .o_data_row:contains(Big Customer):contains(Sally Sales):contains(Manager) td[name=amount]:contains(.00)",
        },
        {
            content: "Waiting since and overdue are shown; columns that are always empty here are not",
            trigger: ".o_list_view thead:has(th[data-name=pending_since]):has(th[data-name=is_overdue]):not(:has(th[data-name=done_by_id])):not(:has(th[data-name=done_date])):not(:has(th[data-name=reason_id])):not(:has(th[data-name=note]))",
        },
        {
            trigger: ".o_control_panel .o_pager_counter:contains(1-2 / 2)",
        },
        ...screenshot("review_inbox", ".o_list_view"),
        {
            content: "A click on the row opens the order itself",
            trigger: ".o_list_view .o_data_row:first td[name=res_name]",
            run: "click",
        },
        {
            content: "The order's form, under review at the reviewer's step",
            trigger: ".o_form_view div[name=review_pending]:contains(Manager)",
        },
        {
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
        },
        {
            content: "Back to the inbox",
            trigger: ".o_breadcrumb .o_back_button a:contains(To Review)",
            run: "click",
        },
        {
            content: "Approve the first line from its own button",
            trigger: ".o_list_view .o_data_row:first button[name=action_approve]",
            run: "click",
        },
        {
            content: "The order waits for the next step now: it left the inbox",
            trigger: ".o_control_panel .o_pager_counter:contains(1-1 / 1)",
        },
        {
            content: "Select the other line",
            trigger: ".o_list_view .o_data_row .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve the selection",
            trigger: ".o_selection_container button.btn-primary:contains(Approve)",
            run: "click",
        },
        {
            content: "A summary says what was approved",
            trigger: ".o_notification:contains(1 approved)",
        },
        {
            content: "Nothing is left to review",
            trigger: ".o_action_manager .o_view_nocontent:contains(Nothing to review)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_my_submissions_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("crm_review.menu_crm_review_root", "Open the Reviews app"),
        {
            content: "A salesperson lands on what they submitted",
            trigger: ".o_breadcrumb:contains(My Submitted Orders)",
        },
        {
            content: "Only their own submissions",
            trigger: ".o_control_panel .o_pager_counter:contains(1-2 / 2)",
        },
        {
            content: "What was sent back to fix comes first, with the reason",
            trigger: ".o_list_view .o_data_row:first:contains(Rejected):contains(Incomplete information)",
        },
        {
            content: "Then what is under review, at which step",
            trigger: ".o_list_view .o_data_row:eq(1):contains(Under review):contains(Manager)",
        },
        ...screenshot("review_my_submissions", ".o_list_view"),
        {
            content: "No reviewer's inbox for a salesperson",
            trigger: ".o_main_navbar:not(:has([data-menu-xmlid='crm_review.menu_crm_review_to_review']))",
        },
        {
            content: "Open the rejected order",
            trigger: ".o_list_view .o_data_row:first td[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name=review_rejected]:contains(Incomplete information)",
        },
        {
            content: "My Submissions also lists customers",
            trigger: "button[data-menu-xmlid='crm_review.menu_crm_review_my']",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item[data-menu-xmlid='crm_review.menu_crm_review_my_partners']",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains(My Submitted Customers)",
        },
    ],
});
