"""Operations: the loan-book backup (lms-restorer) as staff operators see and steer it."""
