"""The ``tracker-processor`` worker: drains the tracker's SQS FIFO queues into S3 and PostgreSQL."""
