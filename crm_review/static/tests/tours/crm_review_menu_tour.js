import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_utils";

registry.category("web_tour.tours").add("crm_review_menu_tour", {
    url: "/odoo",
    steps: () => [
        // Opens the apps menu, then clicks `.o_app[data-menu-xmlid=...]`.
        ...stepUtils.goToAppSteps("crm_review.menu_crm_review_root", "Open the Reviews app"),
        {
            content: "The app opens on the To Review list",
            trigger: '.o_breadcrumb:contains("To Review")',
        },
        {
            content: "It shows the reviews waiting for me",
            trigger: '.o_list_view .o_searchview_facet:contains("To review by me")',
        },
        {
            content: "The step waiting for me is listed",
            trigger: ".o_list_view .o_data_row:contains(Manager)",
        },
        {
            content: "Only it: the step waiting for someone else is not",
            trigger: ".o_control_panel .o_pager_counter:contains(1-1 / 1)",
        },
        {
            content: "The To Review menu leads to the same list",
            trigger: '.o_nav_entry[data-menu-xmlid="crm_review.menu_crm_review_to_review"]',
            run: "click",
        },
        {
            trigger: '.o_breadcrumb:contains("To Review")',
        },
        {
            content: "Open the Configuration menu",
            trigger: 'button[data-menu-xmlid="crm_review.menu_crm_review_config"]',
            run: "click",
        },
        {
            content: "Open the review rules",
            trigger: '.o-dropdown-item[data-menu-xmlid="crm_review.menu_crm_review_rules"]',
            run: "click",
        },
        {
            content: "The Review Rules list is shown",
            trigger: '.o_breadcrumb:contains("Review Rules")',
        },
        {
            content: "The active rule is listed",
            trigger: ".o_list_view .o_data_row:contains(Orders over 1000)",
        },
    ],
});
