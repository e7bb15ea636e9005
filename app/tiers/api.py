"""API tier: Cognito, a regional REST API behind WAF, and the internal ALB in front of Fargate.

REST API private integrations reach a VPC through an NLB; the NLB forwards TLS to the internal
ALB (an ALB-type target group), which routes by path to the services.
"""

from __future__ import annotations

import hashlib
import json

from cdktn_provider_aws.api_gateway_account import ApiGatewayAccount
from cdktn_provider_aws.api_gateway_authorizer import ApiGatewayAuthorizer
from cdktn_provider_aws.api_gateway_base_path_mapping import ApiGatewayBasePathMapping
from cdktn_provider_aws.api_gateway_deployment import ApiGatewayDeployment
from cdktn_provider_aws.api_gateway_domain_name import ApiGatewayDomainName
from cdktn_provider_aws.api_gateway_integration import ApiGatewayIntegration
from cdktn_provider_aws.api_gateway_method import ApiGatewayMethod
from cdktn_provider_aws.api_gateway_method_settings import ApiGatewayMethodSettings
from cdktn_provider_aws.api_gateway_request_validator import ApiGatewayRequestValidator
from cdktn_provider_aws.api_gateway_resource import ApiGatewayResource
from cdktn_provider_aws.api_gateway_rest_api import ApiGatewayRestApi
from cdktn_provider_aws.api_gateway_stage import ApiGatewayStage
from cdktn_provider_aws.api_gateway_vpc_link import ApiGatewayVpcLink
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.cognito_user_pool import CognitoUserPool
from cdktn_provider_aws.cognito_user_pool_client import CognitoUserPoolClient
from cdktn_provider_aws.ecs_service import EcsServiceLoadBalancer
from cdktn_provider_aws.lambda_permission import LambdaPermission
from cdktn_provider_aws.lb import Lb
from cdktn_provider_aws.lb_listener import LbListener
from cdktn_provider_aws.lb_listener_rule import LbListenerRule
from cdktn_provider_aws.lb_target_group import LbTargetGroup
from cdktn_provider_aws.lb_target_group_attachment import LbTargetGroupAttachment
from cdktn_provider_aws.route53_record import Route53Record
from cdktn_provider_aws.security_group import SecurityGroup
from cdktn_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktn_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from cdktn_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from constructs import Construct

from app.core import names
from app.core.blocks import blocks
from app.settings import Settings
from app.tiers.waf import web_acl

# API Gateway resource types that decide who gets in (authorizers, methods, integrations, stages).
API_TYPES = ("RestApi", "Authorizer", "Method", "Integration", "Stage", "Deployment", "Resource")
ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
API_TLS_POLICY = "TLS_1_2"
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.authorizer.claims.sub",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "wafResponse": "$context.waf.status",
}


def rule_priorities(routes: list[str]) -> dict[str, int]:
    """A listener-rule priority per route that does not move when another service is added (routes
    are disjoint path prefixes, so their order does not matter)."""
    found: dict[int, str] = {}
    for route in routes:
        priority = 1 + int(hashlib.sha256(route.encode()).hexdigest()[:8], 16) % 49_999
        if priority in found:
            raise ValueError(f"routes {found[priority]!r} and {route!r} hash to one listener priority; rename one")
        found[priority] = route
    return {route: priority for priority, route in found.items()}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: Settings,
        foundation,
        network,
        compute,
        dns,
        access_log_bucket: str,
        services,
    ) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        logs_key = foundation.key("logs").arn
        self._cognito(s)
        issuer = f"https://cognito-idp.{s.region}.amazonaws.com/{self.user_pool.id}"
        compute.verify_tokens(issuer, [client.id for client in self.clients.values()])
        self._alb(s, network, compute, dns, access_log_bucket, services)
        api_cert = dns.certificate("api_cert", s.domains.api)
        self.rest_api = ApiGatewayRestApi(
            self,
            "rest_api",
            name=f"{s.prefix}-api",
            description="BOI platform public API",
            endpoint_configuration={"types": ["REGIONAL"]},
            disable_execute_api_endpoint=True,
            minimum_compression_size="1024",
            lifecycle={"create_before_destroy": True},
        )
        validator = ApiGatewayRequestValidator(
            self,
            "validator",
            rest_api_id=self.rest_api.id,
            name="params-and-body",
            validate_request_parameters=True,
            validate_request_body=True,
        )
        authorizer = ApiGatewayAuthorizer(
            self,
            "cognito",
            name="cognito",
            rest_api_id=self.rest_api.id,
            type="COGNITO_USER_POOLS",
            provider_arns=[self.user_pool.arn],
            identity_source="method.request.header.Authorization",
        )
        link = ApiGatewayVpcLink(self, "vpc_link", name=f"{s.prefix}-services", target_arns=[self.nlb.arn])
        triggers = []
        for service in services:
            if not service.route:
                continue
            top = ApiGatewayResource(
                self,
                f"{service.route}_resource",
                rest_api_id=self.rest_api.id,
                parent_id=self.rest_api.root_resource_id,
                path_part=service.route,
            )
            proxy = ApiGatewayResource(
                self, f"{service.route}_proxy", rest_api_id=self.rest_api.id, parent_id=top.id, path_part="{proxy+}"
            )
            public = service.exposure == "public"
            for n, res in (("root", top), ("proxy", proxy)):
                method = ApiGatewayMethod(
                    self,
                    f"{service.route}_{n}_any",
                    rest_api_id=self.rest_api.id,
                    resource_id=res.id,
                    http_method="ANY",
                    authorization="NONE" if public else "COGNITO_USER_POOLS",
                    authorizer_id=None if public else authorizer.id,
                    request_validator_id=validator.id,
                    request_parameters={"method.request.path.proxy": True} if n == "proxy" else None,
                )
                if service.runtime == "lambda":
                    fn = compute.functions[service.name]
                    integration = ApiGatewayIntegration(
                        self,
                        f"{service.route}_{n}_integration",
                        rest_api_id=self.rest_api.id,
                        resource_id=res.id,
                        http_method=method.http_method,
                        type="AWS_PROXY",
                        integration_http_method="POST",
                        uri=fn.invoke_arn,
                    )
                else:
                    path = f"/{service.route}/{{proxy}}" if n == "proxy" else f"/{service.route}"
                    integration = ApiGatewayIntegration(
                        self,
                        f"{service.route}_{n}_integration",
                        rest_api_id=self.rest_api.id,
                        resource_id=res.id,
                        http_method=method.http_method,
                        type="HTTP_PROXY",
                        integration_http_method="ANY",
                        connection_type="VPC_LINK",
                        connection_id=link.id,
                        uri=f"https://{self.internal_name}{path}",
                        request_parameters={"integration.request.path.proxy": "method.request.path.proxy"}
                        if n == "proxy"
                        else None,
                        tls_config={"insecure_skip_verification": False},
                    )
                triggers.append(integration)
            if service.runtime == "lambda":
                LambdaPermission(
                    self,
                    f"{service.route}_invoke",
                    statement_id="AllowApiGateway",
                    action="lambda:InvokeFunction",
                    function_name=compute.functions[service.name].function_name,
                    principal="apigateway.amazonaws.com",
                    source_arn=f"{self.rest_api.execution_arn}/*/*/{service.route}*",
                )
        fingerprint = hashlib.sha256(json.dumps([s.name for s in services], sort_keys=True).encode()).hexdigest()
        deployment = ApiGatewayDeployment(
            self,
            "deployment",
            rest_api_id=self.rest_api.id,
            triggers={"routes": fingerprint},
            depends_on=triggers,
            lifecycle={"create_before_destroy": True},
        )
        self._logging_role(s, foundation)
        access_logs = CloudwatchLogGroup(
            self,
            "access_logs",
            name=f"{names.log_group_prefix(s)}/api-access",
            retention_in_days=s.retention.log_days,
            kms_key_id=logs_key,
        )
        self.stage = ApiGatewayStage(
            self,
            "stage",
            rest_api_id=self.rest_api.id,
            deployment_id=deployment.id,
            stage_name="v1",
            xray_tracing_enabled=True,
            cache_cluster_enabled=False,
            access_log_settings={"destination_arn": access_logs.arn, "format": json.dumps(ACCESS_LOG_FORMAT)},
            depends_on=[self.api_account],
        )
        ApiGatewayMethodSettings(
            self,
            "method_settings",
            rest_api_id=self.rest_api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={
                "logging_level": "INFO",
                "metrics_enabled": True,
                "data_trace_enabled": False,
                "throttling_rate_limit": 100,
                "throttling_burst_limit": 200,
                "caching_enabled": False,
            },
        )
        if not s.skips("wafv2"):
            acl = web_acl(
                self,
                "waf",
                name=f"{s.prefix}-api",
                scope_kind="REGIONAL",
                rate_limit=1000,
                log_retention_days=s.retention.log_days,
                logs_key_arn=logs_key,
            )
            Wafv2WebAclAssociation(self, "waf_association", resource_arn=self.stage.arn, web_acl_arn=acl.arn)
        self.domain = ApiGatewayDomainName(
            self,
            "domain",
            domain_name=s.domains.api,
            regional_certificate_arn=api_cert.certificate_arn,
            security_policy=API_TLS_POLICY,
            endpoint_configuration={"types": ["REGIONAL"]},
        )
        ApiGatewayBasePathMapping(
            self,
            "base_path",
            api_id=self.rest_api.id,
            stage_name=self.stage.stage_name,
            domain_name=self.domain.domain_name,
        )
        Route53Record(
            self,
            "api_record",
            zone_id=dns.zone.zone_id,
            name=s.domains.api,
            type="A",
            alias={
                "name": self.domain.regional_domain_name,
                "zone_id": self.domain.regional_zone_id,
                "evaluate_target_health": False,
            },
        )

    def _cognito(self, s: Settings) -> None:
        advanced = "OFF" if s.skips("cognito_advanced_security") else "ENFORCED"
        self.user_pool = CognitoUserPool(
            self,
            "users",
            name=f"{s.prefix}-users",
            mfa_configuration="ON",
            software_token_mfa_configuration={"enabled": True},
            deletion_protection="ACTIVE" if s.keys.prevent_destroy else "INACTIVE",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            password_policy={
                "minimum_length": 14,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 1,
            },
            user_pool_add_ons={"advanced_security_mode": advanced},
            account_recovery_setting={"recovery_mechanism": blocks([{"name": "verified_email", "priority": 1}])},
            admin_create_user_config={"allow_admin_create_user_only": False},
        )
        self.clients = {}
        for client in ("web", "mobile"):
            self.clients[client] = CognitoUserPoolClient(
                self,
                f"{client}_client",
                name=f"{s.prefix}-{client}",
                user_pool_id=self.user_pool.id,
                generate_secret=False,
                prevent_user_existence_errors="ENABLED",
                enable_token_revocation=True,
                explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                access_token_validity=15,
                id_token_validity=15,
                refresh_token_validity=12,
                token_validity_units=blocks(
                    [{"access_token": "minutes", "id_token": "minutes", "refresh_token": "hours"}]
                ),
                allowed_oauth_flows=["code"],
                allowed_oauth_flows_user_pool_client=True,
                allowed_oauth_scopes=["openid", "email"],
                supported_identity_providers=["COGNITO"],
                callback_urls=[f"https://{s.domains.web}/callback"],
                logout_urls=[f"https://{s.domains.web}/"],
            )

    def _alb(self, s: Settings, network, compute, dns, access_log_bucket: str, services) -> None:
        self.internal_name = f"services.{s.domains.hosted_zone}"
        cert = dns.certificate("internal_cert", self.internal_name)
        # The only way to the services is API Gateway (and its authorizer): its VPC link reaches the NLB over
        # PrivateLink, the NLB's group admits nothing else, and the ALB admits only the NLB's group. A
        # workload in the VPC (the FinCEN worker included) cannot reach either load balancer.
        self.nlb_sg = nlb_sg = SecurityGroup(
            self,
            "nlb_sg",
            name=f"{s.prefix}-nlb",
            vpc_id=network.vpc.id,
            description="VPC-link NLB: no inbound rule (API Gateway arrives over PrivateLink); out to the ALB only",
        )
        self.alb_sg = alb_sg = SecurityGroup(
            self,
            "alb_sg",
            name=f"{s.prefix}-alb",
            vpc_id=network.vpc.id,
            description="Internal ALB: HTTPS from the VPC-link NLB only",
        )
        VpcSecurityGroupIngressRule(
            self,
            "alb_https_in",
            security_group_id=alb_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            referenced_security_group_id=nlb_sg.id,
            description="HTTPS from the VPC-link NLB only",
        )
        VpcSecurityGroupEgressRule(
            self,
            "nlb_out_to_alb",
            security_group_id=nlb_sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            referenced_security_group_id=alb_sg.id,
            description="to the internal ALB (TLS passes through)",
        )
        self.alb = Lb(
            self,
            "alb",
            name=f"{s.prefix}-services",
            internal=True,
            load_balancer_type="application",
            subnets=network.subnet_ids("app"),
            security_groups=[alb_sg.id],
            drop_invalid_header_fields=True,
            enable_deletion_protection=s.keys.prevent_destroy,
            desync_mitigation_mode="strictest",
            access_logs={"bucket": access_log_bucket, "prefix": "alb", "enabled": True},
        )
        listener = LbListener(
            self,
            "alb_https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=ALB_TLS_POLICY,
            certificate_arn=cert.certificate_arn,
            default_action=blocks(
                [
                    {
                        "type": "fixed-response",
                        "fixed_response": {
                            "content_type": "text/plain",
                            "message_body": "not found",
                            "status_code": "404",
                        },
                    }
                ]
            ),
        )
        routed = [sv for sv in services if sv.runtime == "fargate" and sv.route]
        priorities = rule_priorities([sv.route for sv in routed])
        for service in routed:
            priority = priorities[service.route]
            sid = service.id
            group = LbTargetGroup(
                self,
                f"{sid}_targets",
                name=f"{s.prefix}-{service.name}"[:32],
                port=service.port,
                # TLS on the last hop too: the task serves HTTPS (LISTEN_TLS), so no PII crosses the
                # subnets in clear.
                protocol="HTTPS",
                target_type="ip",
                vpc_id=network.vpc.id,
                health_check={"path": "/health", "matcher": "200", "protocol": "HTTPS"},
            )
            LbListenerRule(
                self,
                f"{sid}_rule",
                listener_arn=listener.arn,
                priority=priority,
                action=blocks([{"type": "forward", "target_group_arn": group.arn}]),
                condition=blocks([{"path_pattern": {"values": [f"/{service.route}", f"/{service.route}/*"]}}]),
            )
            compute.fargate[service.name].put_load_balancer(
                [
                    EcsServiceLoadBalancer(
                        target_group_arn=group.arn, container_name=service.name, container_port=service.port
                    )
                ]
            )
            VpcSecurityGroupEgressRule(
                self,
                f"alb_to_{sid}",
                security_group_id=alb_sg.id,
                ip_protocol="tcp",
                from_port=service.port,
                to_port=service.port,
                referenced_security_group_id=compute.security_groups[service.name].id,
                description=f"to {service.name}",
            )
            VpcSecurityGroupIngressRule(
                self,
                f"{sid}_from_alb",
                security_group_id=compute.security_groups[service.name].id,
                ip_protocol="tcp",
                from_port=service.port,
                to_port=service.port,
                referenced_security_group_id=alb_sg.id,
                description="from the internal ALB",
            )
        self.nlb = Lb(
            self,
            "nlb",
            name=f"{s.prefix}-vpclink",
            internal=True,
            load_balancer_type="network",
            subnets=network.subnet_ids("app"),
            security_groups=[nlb_sg.id],
            # API Gateway's VPC link arrives over PrivateLink, which the group's inbound rules would refuse;
            # everything else is refused by them (there are none).
            enforce_security_group_inbound_rules_on_private_link_traffic="off",
            enable_deletion_protection=s.keys.prevent_destroy,
            enable_cross_zone_load_balancing=True,
            access_logs={"bucket": access_log_bucket, "prefix": "nlb", "enabled": True},
        )
        alb_targets = LbTargetGroup(
            self,
            "nlb_to_alb",
            name=f"{s.prefix}-alb",
            port=443,
            protocol="TCP",
            target_type="alb",
            vpc_id=network.vpc.id,
        )
        LbTargetGroupAttachment(
            self,
            "nlb_to_alb_attachment",
            target_group_arn=alb_targets.arn,
            target_id=self.alb.arn,
            port=443,
            depends_on=[listener],
        )
        # TCP pass-through: TLS ends at the ALB with its own policy, so the NLB sees no plaintext.
        LbListener(
            self,
            "nlb_tcp",
            load_balancer_arn=self.nlb.arn,
            port=443,
            protocol="TCP",
            default_action=blocks([{"type": "forward", "target_group_arn": alb_targets.arn}]),
        )
        Route53Record(
            self,
            "internal_record",
            zone_id=dns.zone.zone_id,
            name=self.internal_name,
            type="A",
            alias={"name": self.nlb.dns_name, "zone_id": self.nlb.zone_id, "evaluate_target_health": True},
        )

    def _logging_role(self, s: Settings, foundation) -> None:
        self.api_account = ApiGatewayAccount(
            self, "account", cloudwatch_role_arn=names.service_role_arn(s, "apigateway-logs")
        )


def protect(registry, s: Settings) -> None:
    """The front door: whoever can drop the authorizer, mint a user or re-route the load balancers
    reaches the data without a data permission."""
    base = f"{s.region}:{s.account_id}"
    api = f"arn:aws:apigateway:{s.region}::/restapis/*"
    lb = f"arn:aws:elasticloadbalancing:{base}"
    registry.protect(
        "API, user pool and load balancers",
        "path",
        [
            *((f"apigateway:{t}", api) for t in API_TYPES),
            ("cognito-idp:userpool", f"arn:aws:cognito-idp:{base}:userpool/*"),
            ("elasticloadbalancing:loadbalancer/app/", f"{lb}:loadbalancer/app/{s.prefix}-*/*"),
            ("elasticloadbalancing:loadbalancer/net/", f"{lb}:loadbalancer/net/{s.prefix}-*/*"),
            ("elasticloadbalancing:listener/app", f"{lb}:listener/app/{s.prefix}-*/*"),
            ("elasticloadbalancing:listener/net", f"{lb}:listener/net/{s.prefix}-*/*"),
            ("elasticloadbalancing:listener-rule/app", f"{lb}:listener-rule/app/{s.prefix}-*/*"),
            ("elasticloadbalancing:targetgroup", f"{lb}:targetgroup/{s.prefix}-*/*"),
        ],
        managers=(names.role_arn(s, names.platform_deployer(s)),),
        reason="the only way in for users; changing it changes who reaches PII",
    )
