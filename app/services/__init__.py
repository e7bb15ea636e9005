"""One module per microservice; ALL lists them in deployment order."""

from app.services import authentication, beneficial_owner, document, fincen_worker, reporting_company

ALL = tuple(m.SERVICE for m in (authentication, reporting_company, beneficial_owner, document, fincen_worker))
