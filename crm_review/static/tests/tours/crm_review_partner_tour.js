import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_review_partner_tour", {
    steps: () => [
        {
            content: "The banner of the partner form offers the review",
            trigger: ".o_form_view .o_crm_review_banner button[name=action_review_approve]",
            run: "click",
        },
        {
            content: "Approved: the banner shows the new state",
            trigger: ".o_form_view .o_crm_review_banner .o_field_widget[name=review_state]:contains(Approved)",
        },
        {
            trigger: ".o_form_view .o_crm_review_banner:not(:has(button[name=action_review_approve]))",
        },
    ],
});
