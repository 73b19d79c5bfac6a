import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

// Data comes from the Python test: an order whose Finance and Legal steps (same sequence) are both open.

registry.category("web_tour.tours").add("crm_review_parallel_banner_tour", {
    steps: () => [
        {
            content: "The banner shows both open steps, counted as one position of the route",
            trigger: ".o_form_view div[name=review_pending]:contains(Finance, Legal (2/3))",
        },
        {
            content: "... and who each of them waits for",
            trigger:
                ".o_form_view div[name=review_pending]:contains(Dora Director (Finance); Rob Reviewer (Legal))",
        },
        ...screenshot("review_parallel", ".o_form_view div[name=review_pending]"),
        {
            content: "Dora approves her step",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
            run: "click",
        },
        {
            content: "Legal is still open: the order waits for Rob only",
            trigger: ".o_form_view div[name=review_pending]:contains(Legal (2/3)):contains(Rob Reviewer)",
        },
        {
            content: "The route ticks Finance, next to Legal still open",
            trigger: ".o_form_view div[name=review_route]:contains(✓ Finance + [Legal])",
        },
        {
            trigger: ".o_form_view div[name=review_pending] .o_field_widget[name=review_step_label]:not(:contains(Finance))",
        },
        {
            content: "Dora has nothing left to decide on it",
            trigger: ".o_form_view:not(:has(.o_form_statusbar button[name=action_review_approve]))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_parallel_rule_tour", {
    steps: () => [
        {
            content: "The steps list says which steps run in parallel",
            trigger: ".o_field_widget[name=step_ids] .o_data_row:has(td[name=name]:contains(Finance)) td[name=parallel_label]:contains(Legal)",
        },
        {
            trigger: ".o_field_widget[name=step_ids] .o_data_row:has(td[name=name]:contains(Legal)) td[name=parallel_label]:contains(Finance)",
        },
        {
            content: "Open a step: its order is editable",
            trigger: ".o_field_widget[name=step_ids] .o_data_row td[name=name]:contains(Manager)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=sequence] input",
            run: "edit 20",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "Manager now runs with Finance and Legal",
            trigger: ".o_field_widget[name=step_ids] .o_data_row:has(td[name=name]:contains(Manager)) td[name=parallel_label]:contains(Finance)",
        },
        {
            content: "Switch on: the same reviewer on consecutive steps decides once",
            trigger: ".o_form_view .o_field_widget[name=decide_once] input:not(:checked)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=decide_once] input:checked",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
