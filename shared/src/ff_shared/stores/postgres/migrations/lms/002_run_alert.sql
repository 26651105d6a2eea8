-- The SES message id of the alert a failed run sent (null: no alert, or SES refused it).
alter table lms.runs add column alert_message_id text;
