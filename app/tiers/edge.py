"""Edge tier: the web app in a private bucket behind CloudFront, WAF and security headers."""

from __future__ import annotations

from boi_iam.policy import Statement
from boi_iam.resource_policy import ResourcePolicy, deny_insecure_transport
from boi_iam.role import lazy_json, policy_reasons
from cdktn_provider_aws.cloudfront_distribution import CloudfrontDistribution
from cdktn_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktn_provider_aws.cloudfront_response_headers_policy import CloudfrontResponseHeadersPolicy
from cdktn_provider_aws.route53_record import Route53Record
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from constructs import Construct

from app.core.blocks import blocks
from app.settings import Settings
from app.tiers.data import private_bucket
from app.tiers.waf import web_acl

CLOUDFRONT_TLS_POLICY = "TLSv1.2_2021"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed cache policy id
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' https://{api}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class Edge(Construct):
    def __init__(
        self, scope: Construct, id: str, *, settings: Settings, foundation, dns, access_log_bucket: str, us_east_1
    ) -> None:
        super().__init__(scope, id)
        s = settings
        # Public web assets, no PII: SSE-S3 keeps CloudFront out of any key policy.
        self.bucket = private_bucket(
            self,
            "web",
            name=f"{s.prefix}-web-{s.account_id}",
            kms_key_arn=None,
            log_bucket=access_log_bucket,
            prevent_destroy=s.keys.prevent_destroy,
        )
        self.policy = ResourcePolicy(
            "web bucket", guards=[deny_insecure_transport([self.bucket.arn, f"{self.bucket.arn}/*"])]
        )
        policy_reasons(
            S3BucketPolicy(self, "web_policy", bucket=self.bucket.id, policy=lazy_json(self.policy.render)), self.policy
        )
        if s.skips("cloudfront"):
            return
        oac = CloudfrontOriginAccessControl(
            self,
            "oac",
            name=f"{s.prefix}-web",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
        )
        headers = CloudfrontResponseHeadersPolicy(
            self,
            "security_headers",
            name=f"{s.prefix}-security-headers",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": 63072000,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": "strict-origin-when-cross-origin", "override": True},
                "xss_protection": {"protection": True, "mode_block": True, "override": True},
                "content_security_policy": {"content_security_policy": CSP.format(api=s.domains.api), "override": True},
            },
        )
        cert = dns.certificate("web_cert", s.domains.web, provider=us_east_1)
        acl = None
        if not s.skips("wafv2"):
            logs_key = foundation.key("logs").arn if s.region == "us-east-1" else None
            acl = web_acl(
                self,
                "waf",
                name=f"{s.prefix}-web",
                scope_kind="CLOUDFRONT",
                rate_limit=2000,
                log_retention_days=s.retention.log_days,
                logs_key_arn=logs_key,
                provider=us_east_1,
            )
        self.distribution = CloudfrontDistribution(
            self,
            "distribution",
            enabled=True,
            is_ipv6_enabled=True,
            comment=f"{s.prefix} web app",
            aliases=[s.domains.web],
            default_root_object="index.html",
            price_class="PriceClass_100",
            web_acl_id=acl.arn if acl else None,
            http_version="http2and3",
            origin=blocks(
                [
                    {
                        "origin_id": "web",
                        "domain_name": self.bucket.bucket_regional_domain_name,
                        "origin_access_control_id": oac.id,
                    }
                ]
            ),
            default_cache_behavior={
                "target_origin_id": "web",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": headers.id,
            },
            viewer_certificate={
                "acm_certificate_arn": cert.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": CLOUDFRONT_TLS_POLICY,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            logging_config={
                "bucket": f"{access_log_bucket}.s3.amazonaws.com",
                "prefix": "cloudfront/",
                "include_cookies": False,
            },
        )
        self.policy.add(_cloudfront_read(self.bucket.arn, self.distribution.arn))
        Route53Record(
            self,
            "web_record",
            zone_id=dns.zone.zone_id,
            name=s.domains.web,
            type="A",
            alias={
                "name": self.distribution.domain_name,
                "zone_id": self.distribution.hosted_zone_id,
                "evaluate_target_health": False,
            },
        )


def _cloudfront_read(bucket_arn: str, distribution_arn: str) -> Statement:
    return Statement(
        sid="CloudFrontReadsWebAssets",
        actions=("s3:GetObject",),
        resources=(f"{bucket_arn}/*",),
        principals={"Service": "cloudfront.amazonaws.com"},
        conditions={"StringEquals": {"AWS:SourceArn": distribution_arn}},
        reason="CloudFront (this distribution only, through origin access control) serves the web app",
    )
