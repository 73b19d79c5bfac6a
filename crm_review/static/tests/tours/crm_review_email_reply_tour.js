import { registry } from "@web/core/registry";
import { screenshot } from "@crm_review/../tests/tours/utils/screenshot";

// Data comes from the Python test (crm_review/tests/test_review_email_reply.py).

registry.category("web_tour.tours").add("crm_review_email_reply_settings_tour", {
    steps: () => [
        {
            content: "Settings: the Reviews section",
            trigger: ".settings_tab .tab[data-key=crm_review]",
            run: "click",
        },
        {
            content: "Switch on deciding by replying to emails",
            trigger: "#crm_review_email_reply .o_field_boolean input:not(:checked)",
            run: "click",
        },
        {
            content: "The review alias replies go to is shown",
            trigger: "#crm_review_email_reply .o_field_widget[name=crm_review_reply_alias]:contains(review@review.example.com)",
        },
        ...screenshot("review_email_reply_setting", "#crm_review_email_reply", "center"),
        {
            content: "Save",
            trigger: ".o_control_panel .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the switch stays on",
            trigger: ".o-settings-form-view:not(:has(.o_dirty_warning)) #crm_review_email_reply .o_field_boolean input:checked",
        },
    ],
});

registry.category("web_tour.tours").add("crm_review_email_replies_list_tour", {
    steps: () => [
        {
            content: "Reviews › Reporting",
            trigger: ".o_main_navbar .dropdown-toggle:contains(Reporting)",
            run: "click",
        },
        {
            trigger: ".dropdown-item:contains(Email Replies)",
            run: "click",
        },
        {
            content: "The decided reply, and the answer its sender got",
            trigger: ".o_list_view .o_data_row:has(.badge:contains(Decided)):contains(You approved step Manager)",
        },
        {
            content: "The refused one says why",
            trigger: ".o_list_view .o_data_row:has(.badge:contains(Refused)):contains(is not a decision)",
        },
        ...screenshot("review_email_replies", ".o_list_view"),
        {
            content: "Open the decided reply: the email itself is in its chatter",
            trigger: ".o_list_view .o_data_row:has(.badge:contains(Decided)) td[name=email_from]",
            run: "click",
        },
        {
            trigger: ".o-mail-Message .o-mail-Message-author:contains(Rita Reviewer)",
        },
        {
            content: "and the answer it got",
            trigger: ".o-mail-Message .o-mail-Message-author:contains(OdooBot)",
        },
    ],
});
