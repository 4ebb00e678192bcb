"""Who may use hashwatch: regulator users, web sessions and organization API tokens."""
