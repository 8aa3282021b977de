"""``linewatch inventory import|show``."""

from __future__ import annotations

from pathlib import Path

import click

from correlator.cli.common import config_argument, echo_json, fail, json_option, load_or_exit, store_option


@click.group()
def inventory() -> None:
    """The inventory: apply it to the store, show it."""


@inventory.command("import")
@config_argument
@store_option
@json_option
def import_(config_path: Path, store_url: str | None, as_json: bool) -> None:
    """Apply CONFIG's inventory to the store in one transaction (idempotent).

    The inventory files are the source of truth: entities no longer in them are removed. A
    configuration with any error changes nothing.
    """
    from correlator.store import db as store_db
    from correlator.store.errors import StoreError
    from correlator.store.importer import import_inventory

    cfg = load_or_exit(config_path)
    url = cfg.store_url(store_url)
    engine = store_db.make_engine(url)
    try:
        report = import_inventory(engine, cfg.inventory, cfg.policy)
    except StoreError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if as_json:
        echo_json({"changed": report.changed, "tables": report.as_dict()})
        return
    total = report.total()
    if not report.changed:
        click.echo(f"inventory unchanged ({total.unchanged} rows already in the store)")
        return
    click.echo(f"inventory imported: {total.added} added, {total.updated} updated, {total.removed} removed")
    for name, c in report.tables.items():
        if c.changed:
            click.echo(f"  {name:<24} +{c.added} ~{c.updated} -{c.removed}")


@inventory.command("show")
@config_argument
@json_option
def show(config_path: Path, as_json: bool) -> None:
    """Print CONFIG's customers and circuits with their derived network grade."""
    cfg = load_or_exit(config_path)
    inv, policy = cfg.inventory, cfg.policy
    rows = []
    for c in inv.circuits:
        cust = inv.customers[c.customer]
        rows.append(
            {
                "circuit": c.id,
                "customer": cust.name,
                "tier": cust.tier.value,
                "product": c.product,
                "bandwidth": c.bandwidth,
                "maintenance_level": c.maintenance_level.value,
                "network_grade": policy.network_grade(c.maintenance_level).value,
                "service_level": c.service_level.value,
                "protected": c.protection is not None,
                "must_be_diverse": policy.must_be_diverse(
                    cust.important_class, c.maintenance_level, inv.cross_local_network(c)
                ),
            }
        )
    if as_json:
        echo_json({"counts": inv.counts(), "circuits": rows})
        return
    click.echo(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in inv.counts().items()))
    hdr = f"{'circuit':<14} {'tier':<10} {'level':<8} {'grade':<5} {'prot':<4} {'bw':<6} customer"
    click.echo(hdr)
    for r in rows:
        click.echo(
            f"{r['circuit']:<14} {r['tier']:<10} {r['maintenance_level']:<8} {r['network_grade']:<5} "
            f"{'yes' if r['protected'] else 'no':<4} {r['bandwidth']:<6} {r['customer']}"
        )
    if not rows:
        fail("the inventory has no circuits")
