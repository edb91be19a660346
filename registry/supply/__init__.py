"""Parts, suppliers, supplier lots, stock, purchase orders and the genealogy of assembled items
(which lots went into which item, which component sits in which assembly, and when). Writes go
through `service`; the tables are projections of `part.*`, `supplier.*`, `lot.*`, `stock.*`,
`component.*` and `purchase_order.*` events."""
