"""Who may do what: the matrix, the rules on every field, a viewer's Access and roles."""
