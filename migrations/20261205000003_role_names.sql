-- Role names are unique regardless of case: "Support" and "support" are one role's name.
CREATE UNIQUE INDEX auth_roles_name_lower_key ON auth_roles (lower(name));
