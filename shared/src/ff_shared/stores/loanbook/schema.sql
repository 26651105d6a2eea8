-- The loan book: the tables of Anchor LMS's database that the platform reads.
--
-- In production this database is restored nightly from Anchor's backup (lms-restorer) into SQL
-- Server; locally and in tests the same tables live in PostgreSQL, reached through psqlODBC.
-- The DDL is SQL Server's; for PostgreSQL, ``ff_shared.stores.loanbook.schema`` swaps the one
-- type the two do not share (DATETIME2 -> TIMESTAMP(6)). Identifiers are unquoted PascalCase:
-- SQL Server matches them case-insensitively and PostgreSQL folds them to lower case, so the
-- same queries run on both. Keys are assigned by the LMS, not by identity columns.
--
-- Money is DECIMAL(18,2) pounds; the platform converts to integer pence on read.
-- Customers are matched to the platform by PlatformCustomerId (the customer's Cognito sub),
-- which the LMS stores on its customer record when the platform creates the loan.

CREATE TABLE TransactionTypes (
    TypeId INT NOT NULL PRIMARY KEY,
    Name VARCHAR(50) NOT NULL,
    -- 1: increases what the customer owes (advance, interest, fee, a payment reversed); -1:
    -- reduces it (payment); 0: a note that changes no balance (a Direct Debit returned unpaid).
    Direction SMALLINT NOT NULL
);

CREATE TABLE Customers (
    CustomerId INT NOT NULL PRIMARY KEY,
    PlatformCustomerId VARCHAR(64) NULL,
    Title VARCHAR(20) NULL,
    FirstName VARCHAR(100) NOT NULL,
    LastName VARCHAR(100) NOT NULL,
    DateOfBirth DATE NULL,
    Email VARCHAR(254) NULL,
    MobilePhone VARCHAR(32) NULL,
    AddressLine1 VARCHAR(100) NULL,
    AddressLine2 VARCHAR(100) NULL,
    Town VARCHAR(100) NULL,
    Postcode VARCHAR(10) NULL,
    CreatedAt DATETIME2 NOT NULL
);

CREATE INDEX IX_Customers_PlatformCustomerId ON Customers (PlatformCustomerId);

CREATE TABLE Agreements (
    AgreementId INT NOT NULL PRIMARY KEY,
    AgreementNumber VARCHAR(20) NOT NULL UNIQUE,
    CustomerId INT NOT NULL REFERENCES Customers (CustomerId),
    -- The platform's application id; NULL for loans the LMS booked without the platform.
    ExternalReference VARCHAR(64) NULL,
    ProductCode VARCHAR(20) NOT NULL,
    -- Live, Arrears, Settled
    Status VARCHAR(20) NOT NULL,
    AdvanceAmount DECIMAL(18, 2) NOT NULL,
    TermMonths INT NOT NULL,
    -- Nominal annual interest rate and APR, in percent.
    InterestRate DECIMAL(9, 4) NOT NULL,
    Apr DECIMAL(9, 4) NOT NULL,
    InstalmentAmount DECIMAL(18, 2) NOT NULL,
    TotalRepayable DECIMAL(18, 2) NOT NULL,
    -- What is still owed on the schedule (unpaid instalments, interest included).
    Balance DECIMAL(18, 2) NOT NULL,
    ArrearsBalance DECIMAL(18, 2) NOT NULL,
    StartDate DATE NOT NULL,
    FirstPaymentDate DATE NOT NULL,
    FinalPaymentDate DATE NOT NULL,
    CreatedAt DATETIME2 NOT NULL,
    UpdatedAt DATETIME2 NOT NULL
);

CREATE INDEX IX_Agreements_CustomerId ON Agreements (CustomerId);
CREATE INDEX IX_Agreements_ExternalReference ON Agreements (ExternalReference);

CREATE TABLE ScheduleInstalments (
    AgreementId INT NOT NULL REFERENCES Agreements (AgreementId),
    InstalmentNumber INT NOT NULL,
    DueDate DATE NOT NULL,
    Amount DECIMAL(18, 2) NOT NULL,
    Principal DECIMAL(18, 2) NOT NULL,
    Interest DECIMAL(18, 2) NOT NULL,
    PaidAmount DECIMAL(18, 2) NOT NULL,
    -- Due, PartPaid, Paid, Overdue
    Status VARCHAR(20) NOT NULL,
    PRIMARY KEY (AgreementId, InstalmentNumber)
);

CREATE TABLE Transactions (
    TransactionId BIGINT NOT NULL PRIMARY KEY,
    AgreementId INT NOT NULL REFERENCES Agreements (AgreementId),
    TypeId INT NOT NULL REFERENCES TransactionTypes (TypeId),
    Amount DECIMAL(18, 2) NOT NULL,
    TransactionDate DATE NOT NULL,
    -- The payer's or platform's reference; a payment reference is recorded once.
    Reference VARCHAR(64) NULL,
    CreatedAt DATETIME2 NOT NULL
);

CREATE INDEX IX_Transactions_AgreementId ON Transactions (AgreementId, TransactionDate);
CREATE INDEX IX_Transactions_Reference ON Transactions (Reference);

INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (1, 'Advance', 1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (2, 'Interest', 1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (3, 'Payment', -1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (4, 'Fee', 1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (5, 'Refund', 1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (6, 'WriteOff', -1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (7, 'PaymentReversal', 1);
INSERT INTO TransactionTypes (TypeId, Name, Direction) VALUES (8, 'UnpaidCollection', 0);
