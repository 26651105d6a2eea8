"""Documents: presigned uploads straight to S3, confirmed against what was declared."""
