import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

registry.category("web_tour.tours").add("crm_review_dashboard_tour", {
    steps: () => [
        {
            content: "The Reviews dashboard is listed in the Dashboards app",
            trigger: ".o_search_panel li:contains(Reviews)",
            run: "click",
        },
        {
            content: "It opens with its key figures",
            trigger: ".o_spreadsheet_dashboard_action .o_renderer .o-figure",
        },
        {
            content: "It loaded without error",
            trigger: ".o_spreadsheet_dashboard_action:not(:has(.dashboard-loading-status))",
        },
        ...screenshot("review_dashboard", ".o_spreadsheet_dashboard_action .o_renderer"),
    ],
});
