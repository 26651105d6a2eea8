"""Anchor LMS, the loan-management system: its SOAP client and WSDL."""
