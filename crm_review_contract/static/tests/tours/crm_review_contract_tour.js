import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_review_contract_submit_tour", {
    steps: () => [
        {
            content: "The contract warns that it will not invoice before approval",
            trigger: ".o_form_view div[name=review_blocked]",
        },
        {
            content: "Submit the contract for review",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_submit]",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name=review_pending]:contains(Legal (1/1))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_contract_approve_tour", {
    steps: () => [
        {
            content: "The reviewer approves from the header",
            trigger: ".o_form_view .o_form_statusbar button[name=action_review_approve]",
            run: "click",
        },
        {
            trigger: ".o_form_view:not(:has(.o_form_statusbar button[name=action_review_approve]))",
        },
        {
            content: "Approved: invoicing is no longer blocked",
            trigger: ".o_form_view:not(:has(div[name=review_blocked]))",
        },
    ],
});
