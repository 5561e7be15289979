"""Services: the operations of the product. Each owns its transaction and writes the audit trail."""
