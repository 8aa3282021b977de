"""Reports the operator owes (DOMAIN.md "Reports the centre owes").

- :func:`~correlator.reports.incident.incident_report`: the fault analysis report of one incident;
- :func:`~correlator.reports.customer.customer_report`: the monthly network operation report of an
  important customer;
- :mod:`~correlator.reports.render`: Markdown and HTML from the Jinja2 templates in ``templates/``,
  PDF through WeasyPrint when installed.
"""

from correlator.reports.customer import CustomerReport, customer_report
from correlator.reports.incident import IncidentReport, ReportError, incident_report
from correlator.reports.render import RenderError, render, render_pdf

__all__ = [
    "CustomerReport",
    "IncidentReport",
    "RenderError",
    "ReportError",
    "customer_report",
    "incident_report",
    "render",
    "render_pdf",
]
