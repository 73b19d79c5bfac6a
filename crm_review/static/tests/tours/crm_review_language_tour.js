import { registry } from "@web/core/registry";

// A reviewer who reads Chinese: the step is named in Chinese in To Review, as in the form's banner.
registry.category("web_tour.tours").add("crm_review_inbox_zh_tour", {
    steps: () => [
        {
            content: "The inbox is in Chinese: its title and the step column",
            trigger: ".o_breadcrumb:contains(待我审核)",
        },
        {
            trigger: ".o_list_view thead th[data-name=step_label]:contains(审核步骤)",
        },
        {
            content: "The step is named in Chinese on the line",
            trigger: ".o_list_view .o_data_row:contains(Big Customer) td[name=step_label]:contains(经理审批)",
        },
        {
            trigger: ".o_list_view:not(:has(.o_data_row td[name=step_label]:contains(Manager)))",
        },
        {
            content: "Cards too",
            trigger: ".o_control_panel .o_switch_view.o_kanban",
            run: "click",
        },
        {
            trigger: ".o_kanban_view .o_kanban_record:contains(Big Customer):contains(经理审批)",
        },
        {
            content: "The record's banner names the same step",
            trigger: ".o_kanban_view .o_kanban_record:contains(Big Customer)",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name=review_pending]:contains(经理审批)",
        },
    ],
});
