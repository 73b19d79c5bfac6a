import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

registry.category("web_tour.tours").add("crm_review_authority_banner_tour", {
    steps: () => [
        {
            content: "The banner names the current level of the chain",
            trigger: ".o_form_view div[name=review_pending]:contains(Authority: Mia Manager (up to 50,000.00 USD) (1/3))",
        },
        {
            content: "...and the whole route, up to the level whose authority covers the amount",
            trigger:
                ".o_form_view div[name=review_route]:contains([Authority: Mia Manager):contains(Authority: Dora Director (up to 500,000.00 EUR)):contains(Authority: Cleo CFO (no limit))",
        },
        {
            content: "The skipped level is not part of the route",
            trigger: ".o_form_view div[name=review_route]:not(:contains(Sam Senior))",
        },
        ...screenshot("review_authority_banner", ".o_form_view div[name=review_pending]"),
    ],
});

registry.category("web_tour.tours").add("crm_review_authority_simulate_tour", {
    steps: () => [
        {
            content: "Simulate the draft rule",
            trigger: ".o_form_view .o_form_statusbar button[name=action_simulate]",
            run: "click",
        },
        {
            content: "Try it on an order",
            trigger: ".modal .o_field_widget[name=res_ref] input",
            run: "edit AUTH-700K",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(AUTH-700K)",
            run: "click",
        },
        {
            content: "Each level of the chain, the skipped one included",
            trigger:
                ".modal .o_field_widget[name=result]:contains(Authority: Mia Manager (up to 50,000.00 USD)):contains(Authority: Sam Senior (no authority): skipped):contains(Authority: Cleo CFO (no limit))",
        },
        {
            content: "The salesperson of the order would submit it",
            trigger: ".modal .o_field_widget[name=submitter_id] input:value(Sally Submitter)",
        },
        {
            // A late answer to the search typed above may open the suggestions again: nothing waits on it.
            content: "Leave the record field",
            trigger: ".modal .modal-title",
            run: "click",
        },
        ...screenshot("review_authority_simulate", ".modal .modal-content"),
        {
            content: "Close: a simulation writes nothing",
            trigger: ".modal footer button[special=cancel]",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
