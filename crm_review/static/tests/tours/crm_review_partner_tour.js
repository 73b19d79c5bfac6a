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

registry.category("web_tour.tours").add("crm_review_partner_todo_done_tour", {
    steps: () => [
        {
            content: "The customer waits for the reviewer",
            trigger: ".o_form_view .o_crm_review_banner button[name=action_review_approve]",
        },
        {
            content: "Mark the review to-do done from the chatter",
            trigger: ".o-mail-Activity:contains(Review: Credit) .o-mail-Activity-markDone",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label=Done]",
            run: "click",
        },
        {
            content: "Without reloading the page, the banner says the customer is approved",
            trigger: ".o_form_view .o_crm_review_banner .o_field_widget[name=review_state]:contains(Approved)",
        },
        {
            trigger: ".o_form_view .o_crm_review_banner:not(:has(button[name=action_review_approve]))",
        },
    ],
});
