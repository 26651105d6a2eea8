"""The platform's Dynamics 365 and OBV integration tests, run again with the clients configured
as in production: the gateway's URL only, no vendor credential (see this folder's conftest).

Left out are the tests of the client's own credential handling (its token cache and refresh, a
wrong secret or key): behind the gateway the client has none, and test_gateway.py covers the
gateway's instead.
"""

from __future__ import annotations

from tests.shared.integrations.test_dynamics_client import (
    quick,
    test_5xx_is_retried_with_backoff_until_it_succeeds,
    test_5xx_until_the_deadline_is_a_typed_retryable_error,
    test_429_asking_for_longer_than_the_deadline_is_raised_with_its_wait,
    test_429_waits_as_long_as_retry_after_asks_then_succeeds,
    test_a_create_whose_connection_dropped_is_not_sent_again,
    test_a_dropped_connection_on_a_read_is_retried,
    test_a_lookup_to_a_missing_contact_is_refused,
    test_a_malformed_page_is_rejected_with_its_raw_body,
    test_a_slow_answer_times_out_and_is_retried,
    test_a_write_answered_without_an_entity_id_is_malformed,
    test_an_unsupported_query_is_rejected_with_dataverses_message,
    test_create_answers_204_with_the_new_rows_id,
    test_paging_follows_next_links_through_several_pages,
    test_the_archivers_incremental_read_sees_only_rows_changed_after_the_watermark,
    test_top_limits_the_rows_returned,
    test_update_with_a_stale_etag_is_precondition_failed,
    test_upsert_twice_leaves_one_row_with_the_latest_values,
)
from tests.shared.integrations.test_obv_client import (
    test_5xx_and_429_are_ridden_out_within_the_deadline,
    test_a_consent_whose_answer_was_lost_is_asked_again_without_a_second_consent,
    test_a_customer_who_refuses_at_the_bank_leaves_a_rejected_consent,
    test_a_malformed_report_is_rejected_with_the_raw_body_for_quarantine,
    test_a_report_for_another_reference_is_refused,
    test_a_report_holds_a_year_of_ais_shaped_data_the_same_bytes_each_fetch,
    test_a_report_still_being_analysed_is_not_ready_yet,
    test_an_unknown_reference_is_not_found,
    test_each_household_reads_as_its_kind_in_the_providers_summary,
    test_following_the_authorisation_url_completes_the_consent_and_redirects_back,
    test_running_balances_add_up_and_end_at_the_closing_balance,
    test_starting_a_consent_gives_a_reference_and_an_authorisation_url,
)

__all__ = [
    "quick",
    "test_5xx_and_429_are_ridden_out_within_the_deadline",
    "test_5xx_is_retried_with_backoff_until_it_succeeds",
    "test_5xx_until_the_deadline_is_a_typed_retryable_error",
    "test_429_asking_for_longer_than_the_deadline_is_raised_with_its_wait",
    "test_429_waits_as_long_as_retry_after_asks_then_succeeds",
    "test_a_consent_whose_answer_was_lost_is_asked_again_without_a_second_consent",
    "test_a_create_whose_connection_dropped_is_not_sent_again",
    "test_a_customer_who_refuses_at_the_bank_leaves_a_rejected_consent",
    "test_a_dropped_connection_on_a_read_is_retried",
    "test_a_lookup_to_a_missing_contact_is_refused",
    "test_a_malformed_page_is_rejected_with_its_raw_body",
    "test_a_malformed_report_is_rejected_with_the_raw_body_for_quarantine",
    "test_a_report_for_another_reference_is_refused",
    "test_a_report_holds_a_year_of_ais_shaped_data_the_same_bytes_each_fetch",
    "test_a_report_still_being_analysed_is_not_ready_yet",
    "test_a_slow_answer_times_out_and_is_retried",
    "test_a_write_answered_without_an_entity_id_is_malformed",
    "test_an_unknown_reference_is_not_found",
    "test_an_unsupported_query_is_rejected_with_dataverses_message",
    "test_create_answers_204_with_the_new_rows_id",
    "test_each_household_reads_as_its_kind_in_the_providers_summary",
    "test_following_the_authorisation_url_completes_the_consent_and_redirects_back",
    "test_paging_follows_next_links_through_several_pages",
    "test_running_balances_add_up_and_end_at_the_closing_balance",
    "test_starting_a_consent_gives_a_reference_and_an_authorisation_url",
    "test_the_archivers_incremental_read_sees_only_rows_changed_after_the_watermark",
    "test_top_limits_the_rows_returned",
    "test_update_with_a_stale_etag_is_precondition_failed",
    "test_upsert_twice_leaves_one_row_with_the_latest_values",
]
