"""Who may do what: the calling staff member's roles and the permissions they grant."""
