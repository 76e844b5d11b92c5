"""The framework every feature uses: context, dispatch, the route table, types, roles."""
