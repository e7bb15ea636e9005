"""The environment's public hosted zone and DNS-validated certificates in it."""

from __future__ import annotations

from cdktn import TerraformIterator
from cdktn_provider_aws.acm_certificate import AcmCertificate
from cdktn_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktn_provider_aws.route53_record import Route53Record
from cdktn_provider_aws.route53_zone import Route53Zone
from constructs import Construct


class Dns(Construct):
    def __init__(self, scope: Construct, id: str, *, zone_name: str) -> None:
        super().__init__(scope, id)
        self.zone = Route53Zone(self, "zone", name=zone_name, comment="BOI platform public names")

    def certificate(self, id: str, domain: str, provider=None) -> AcmCertificateValidation:
        """A DNS-validated ACM certificate: ACM renews it by itself while the CNAME stays."""
        cert = AcmCertificate(
            self,
            id,
            domain_name=domain,
            validation_method="DNS",
            provider=provider,
            options={"certificate_transparency_logging_preference": "ENABLED"},
            lifecycle={"create_before_destroy": True},
        )
        options = TerraformIterator.from_complex_list(cert.domain_validation_options, "domain_name")
        record = Route53Record(
            self,
            f"{id}_validation",
            for_each=options,
            zone_id=self.zone.zone_id,
            name=options.get_string("resource_record_name"),
            type=options.get_string("resource_record_type"),
            records=[options.get_string("resource_record_value")],
            ttl=300,
            allow_overwrite=True,
        )
        return AcmCertificateValidation(
            self, f"{id}_validated", certificate_arn=cert.arn, provider=provider, depends_on=[record]
        )
