"""Anchor LMS, the loan-management system: its SOAP client, WSDL and simulator."""
