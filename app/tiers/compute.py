"""Compute tier: Fargate services and Lambda functions, each with its own roles and security group.

Every permission a service holds comes from the `needs` it declares in services/.
"""

from __future__ import annotations

from boi_iam.errors import GrantError
from boi_iam.grants import Grant
from boi_iam.policy import trust_document
from boi_iam.role import PlatformRole, lazy_json
from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktn_provider_aws.ecs_cluster import EcsCluster
from cdktn_provider_aws.ecs_service import EcsService
from cdktn_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktn_provider_aws.lambda_code_signing_config import LambdaCodeSigningConfig
from cdktn_provider_aws.lambda_event_source_mapping import LambdaEventSourceMapping
from cdktn_provider_aws.lambda_function import LambdaFunction
from cdktn_provider_aws.security_group import SecurityGroup
from cdktn_provider_aws.signer_signing_profile import SignerSigningProfile
from cdktn_provider_aws.sqs_queue import SqsQueue
from cdktn_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktn_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from app import catalogs
from app.core import names
from app.core.assets import asset, platform_role
from app.core.blocks import blocks
from app.services.spec import Service, event_source
from app.settings import Settings


def protect(registry, s: Settings) -> None:
    """Running code as a workload is as good as holding its role: functions, their signing, tasks."""
    base = f"{s.region}:{s.account_id}"
    deployer = (names.role_arn(s, names.platform_deployer(s)),)
    cluster = names.ecs_cluster(s)
    registry.protect(
        "platform functions and their code signing",
        "pii",
        [
            ("lambda:function", f"arn:aws:lambda:{base}:function:{s.prefix}-*"),
            ("lambda:code signing config", f"arn:aws:lambda:{base}:code-signing-config:*"),
            ("signer:signing-profile", f"arn:aws:signer:{base}:/signing-profiles/*"),
        ],
        managers=deployer,
        reason="invoking or changing a function runs code with its role",
    )
    registry.protect(
        "platform containers",
        "pii",
        [
            ("ecs:cluster", f"arn:aws:ecs:{base}:cluster/{cluster}"),
            ("ecs:service", f"arn:aws:ecs:{base}:service/{cluster}/*"),
            ("ecs:task", f"arn:aws:ecs:{base}:task/{cluster}/*"),
            ("ecs:task-definition", f"arn:aws:ecs:{base}:task-definition/{s.prefix}-*:*"),
        ],
        managers=deployer,
        reason="a shell in a task, or a new task definition, runs with the task's role",
    )
    group = f"arn:aws:logs:{base}:log-group:{names.log_group_prefix(s)}/*"
    registry.protect(
        "platform application, API and flow logs",
        "audit",
        [("logs:log-group", group), ("logs:log-stream", f"{group}:log-stream:*")],
        readers=tuple(names.role_arn(s, names.human_role(s, r)) for r in ("security-auditor", "support-engineer")),
        writers=(names.platform_roles_pattern(s),),
        managers=deployer,
        reason="evidence of what the services did",
    )


# -- shared -------------------------------------------------------------------------------------


class Compute(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: Settings,
        foundation,
        network,
        assets: dict,
        services: tuple[Service, ...],
        database_sg: SecurityGroup,
    ) -> None:
        super().__init__(scope, id)
        s = self.settings = settings
        self.foundation, self.network, self.assets = foundation, network, assets
        self.database_sg = database_sg
        self.boundary = foundation.governance.workload_boundary_arn
        self.cluster = EcsCluster(
            self,
            "cluster",
            name=names.ecs_cluster(s),
            setting=blocks([{"name": "containerInsights", "value": "enabled"}]),
        )
        self.roles: dict[str, PlatformRole] = {}
        self.security_groups: dict[str, SecurityGroup] = {}
        self.fargate: dict[str, EcsService] = {}
        self.functions: dict[str, LambdaFunction] = {}
        self.log_groups: dict[str, CloudwatchLogGroup] = {}
        self._containers: dict[str, dict] = {}
        self._services: dict[str, Service] = {}
        self._account = asset(s, "account", "account", "*")
        self._code_signing: LambdaCodeSigningConfig | None = None
        for service in services:
            self._security_group(service)
            if service.runtime == "fargate":
                self._fargate_service(service)
            else:
                self._lambda_function(service)

    def _role(self, service: Service, kind: str, trust_service: str, purpose: str) -> PlatformRole:
        s = self.settings
        role = platform_role(
            self,
            f"{service.name.replace('-', '_')}_{kind}",
            settings=s,
            name=f"{s.prefix}-{service.name}-{kind}",
            purpose=purpose,
            boundary_arn=self.boundary,
            trust=trust_document(trust_service, conditions={"StringEquals": {"aws:SourceAccount": s.account_id}}),
        )
        self.foundation.governance.register_workload(role)
        self.roles[role.name] = role
        return role

    def _grant_needs(self, service: Service, role: PlatformRole) -> None:
        for need in service.needs:
            target = self.assets.get(need.asset)
            if target is None:
                raise GrantError(
                    f"service {service.name}: grant '{need.operation}' names asset {need.asset!r}, "
                    f"which does not exist; known assets: {sorted(self.assets)}"
                )
            source = event_source(service.name) if need.operation == "put_events" else None
            context = self._record_types(service, need)
            try:
                role.grant(
                    Grant(
                        role.principal,
                        target,
                        need.operation,
                        need.reason,
                        prefix=need.prefix,
                        via=need.via,
                        db_user=need.db_user,
                        event_source=source,
                        context=context,
                    )
                )
            except (GrantError, ValueError) as exc:
                raise GrantError(f"service {service.name}: {exc}") from None

    def _record_types(self, service: Service, need) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Field-level PII: the service's grant on the field key admits only its own record types
        (catalogs/kms/field_encryption.yaml), checked by the key policy as kms:EncryptionContext:record_type."""
        standard = catalogs.kms().field_encryption
        if need.asset != f"{standard.key_class}_key":
            return ()
        types = standard.record_types_of(service.name)["decrypt" if need.operation == "decrypt" else "encrypt"]
        if not types:
            raise GrantError(
                f"service {service.name}: grant '{need.operation}' on {need.asset} names no record type; "
                f"add the service to written_by (or read_by, for decrypt) of a record type in "
                f"catalogs/kms/field_encryption.yaml (known: {', '.join(sorted(standard.record_types)) or 'none'})"
            )
        return (("record_type", types),)

    def _log_group(self, service: Service) -> CloudwatchLogGroup:
        s = self.settings
        group = CloudwatchLogGroup(
            self,
            f"{service.name.replace('-', '_')}_logs",
            name=f"{names.log_group_prefix(s)}/app/{service.name}",
            retention_in_days=s.retention.log_days,
            kms_key_id=self.foundation.key("logs").arn,
        )
        self.log_groups[service.name] = group
        return group

    def _security_group(self, service: Service) -> None:
        s = self.settings
        sg = SecurityGroup(
            self,
            f"{service.name.replace('-', '_')}_sg",
            name=f"{s.prefix}-{service.name}",
            vpc_id=self.network.vpc.id,
            description=f"{service.name}: only the ports this service needs",
        )
        self.security_groups[service.name] = sg
        sid = service.name.replace("-", "_")
        VpcSecurityGroupEgressRule(
            self,
            f"{sid}_to_endpoints",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            referenced_security_group_id=self.network.endpoint_sg.id,
            description="AWS APIs through the VPC interface endpoints",
        )
        VpcSecurityGroupEgressRule(
            self,
            f"{sid}_to_s3",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=self.network.endpoints["s3"].prefix_list_id,
            description="S3 through the gateway endpoint",
        )
        VpcSecurityGroupEgressRule(
            self,
            f"{sid}_to_dynamodb",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            prefix_list_id=self.network.endpoints["dynamodb"].prefix_list_id,
            description="DynamoDB through the gateway endpoint",
        )
        if service.database:
            db_sg = self.database_sg
            VpcSecurityGroupEgressRule(
                self,
                f"{sid}_to_database",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=5432,
                to_port=5432,
                referenced_security_group_id=db_sg.id,
                description="PostgreSQL",
            )
            VpcSecurityGroupIngressRule(
                self,
                f"{sid}_into_database",
                security_group_id=db_sg.id,
                ip_protocol="tcp",
                from_port=5432,
                to_port=5432,
                referenced_security_group_id=sg.id,
                description=f"PostgreSQL from {service.name}",
            )
        if service.egress_internet_https:
            # Public IPv4 only (never 0.0.0.0/0, the VPC or any private range: nothing inside AWS networks),
            # from the egress subnets, whose only route out is the firewall's FinCEN allow-list.
            VpcSecurityGroupEgressRule(
                self,
                f"{sid}_to_public_https",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                prefix_list_id=self.network.public_internet.id,
                description="FinCEN over HTTPS: public IPv4 only, through the egress firewall",
            )

    def subnets_of(self, service: Service) -> list[str]:
        """The egress subnets (out through the firewall only) for a service that calls outside AWS; the
        application subnets, with no route out of the VPC, for every other."""
        return self.network.subnet_ids("egress" if service.egress_internet_https else "app")

    def verify_tokens(self, issuer: str, client_ids: list[str]) -> None:
        """Every authenticated service behind the load balancers verifies the caller's Cognito token itself
        (signature against the pool's keys, issuer, client, token use, expiry), whatever came before it."""
        for name, container in self._containers.items():
            if self._services[name].exposure == "authenticated":
                container["environment"] += [
                    {"name": "AUTH_TOKEN_ISSUER", "value": issuer},
                    {"name": "AUTH_TOKEN_JWKS_URL", "value": f"{issuer}/.well-known/jwks.json"},
                    {"name": "AUTH_TOKEN_CLIENT_IDS", "value": ",".join(client_ids)},
                    {"name": "AUTH_TOKEN_REQUIRED", "value": "true"},
                ]
                container["environment"].sort(key=lambda e: e["name"])

    def _touches_protected_data(self, service: Service) -> bool:
        return any(self.assets[need.asset].sensitive for need in service.needs if need.asset in self.assets)

    # -- Fargate ------------------------------------------------------------------------------------

    def _fargate_service(self, service: Service) -> None:
        s = self.settings
        logs = self._log_group(service)
        execution = self._role(
            service,
            "execution",
            "ecs-tasks.amazonaws.com",
            f"ECS pulls the {service.name} image, writes its logs and injects its secrets",
        )
        execution.grant(Grant(execution.principal, self._account, "ecr_login", "log in to ECR to pull the image"))
        image = s.artifacts[service.name]
        repo_name = image.split("/", 1)[1].split("@")[0]
        repo = asset(
            s,
            "ecr_repository",
            f"{service.name} image repository",
            f"arn:aws:ecr:{s.region}:{s.account_id}:repository/{repo_name}",
        )
        execution.grant(Grant(execution.principal, repo, "pull", "pull the service image"))
        log_asset = asset(s, "log_group", f"{service.name} log group", logs.arn)
        execution.grant(Grant(execution.principal, log_asset, "write", "write container logs"))
        secrets = []
        for env_name, asset_name in service.secrets.items():
            secret = self.assets[asset_name]
            execution.grant(Grant(execution.principal, secret, "read", f"inject {env_name} into the container"))
            execution.grant(
                Grant(
                    execution.principal,
                    self.assets["secrets_key"],
                    "decrypt",
                    "Secrets Manager decrypts the injected secret",
                    via="secretsmanager",
                )
            )
            secrets.append({"name": env_name, "valueFrom": secret.arn})
        task = self._role(
            service, "task", "ecs-tasks.amazonaws.com", f"The {service.name} service at run time: {service.description}"
        )
        self._grant_needs(service, task)
        # A shell in a task holds the task's credentials: never on a service that reaches protected data.
        exec_allowed = not self._touches_protected_data(service)
        if exec_allowed:
            task.grant(
                Grant(
                    task.principal,
                    self._account,
                    "ssm_session_channel",
                    "ECS Exec through SSM Session Manager instead of a bastion host",
                )
            )
        environment = dict(service.environment_values(s))
        if service.route:
            # TLS on the hop from the load balancer: the task serves HTTPS on its port (a certificate it
            # makes at start; the ALB encrypts to targets without validating them).
            environment["LISTEN_TLS"] = "true"
        container = {
            "name": service.name,
            "image": image,
            "essential": True,
            "readonlyRootFilesystem": True,
            "privileged": False,
            "user": "10001:10001",
            "portMappings": [{"containerPort": service.port, "protocol": "tcp"}] if service.route else [],
            "environment": [{"name": k, "value": v} for k, v in sorted(environment.items())],
            "secrets": secrets,
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": logs.name,
                    "awslogs-region": s.region,
                    "awslogs-stream-prefix": service.name,
                },
            },
        }
        definition = EcsTaskDefinition(
            self,
            f"{service.name.replace('-', '_')}_taskdef",
            family=f"{s.prefix}-{service.name}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(service.cpu),
            memory=str(service.memory),
            execution_role_arn=execution.arn,
            task_role_arn=task.arn,
            # Rendered at synth: the API tier adds the token verification settings once the user pool exists.
            container_definitions=lazy_json(lambda: [container]),
            volume=blocks([{"name": "tmp"}]),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "ARM64"},
        )
        self._containers[service.name] = container
        self._services[service.name] = service
        self.fargate[service.name] = EcsService(
            self,
            f"{service.name.replace('-', '_')}_service",
            name=service.name,
            cluster=self.cluster.arn,
            task_definition=definition.arn,
            desired_count=2,
            launch_type="FARGATE",
            platform_version="LATEST",
            enable_execute_command=exec_allowed,
            propagate_tags="SERVICE",
            network_configuration={
                "subnets": self.subnets_of(service),
                "assign_public_ip": False,
                "security_groups": [self.security_groups[service.name].id],
            },
            deployment_circuit_breaker={"enable": True, "rollback": True},
        )

    # -- Lambda -------------------------------------------------------------------------------------

    def _signing_config(self) -> LambdaCodeSigningConfig:
        """Lambda refuses any package not signed by the release pipeline's signing profile."""
        profile = SignerSigningProfile(
            self,
            "lambda_signing",
            name_prefix="boi_lambda_",
            platform_id="AWSLambda-SHA384-ECDSA",
            signature_validity_period={"value": 12, "type": "MONTHS"},
        )
        return LambdaCodeSigningConfig(
            self,
            "lambda_code_signing",
            description="Only packages signed by the BOI release pipeline",
            allowed_publishers={"signing_profile_version_arns": [profile.version_arn]},
            policies={"untrusted_artifact_on_deployment": "Enforce"},
        )

    def _lambda_function(self, service: Service) -> None:
        s = self.settings
        logs = self._log_group(service)
        role = self._role(
            service,
            "execution",
            "lambda.amazonaws.com",
            f"The {service.name} function at run time: {service.description}",
        )
        self._grant_needs(service, role)
        role.grant(
            Grant(
                role.principal,
                asset(s, "log_group", f"{service.name} log group", logs.arn),
                "write",
                "write function logs",
            )
        )
        role.grant(
            Grant(
                role.principal,
                self.assets["secrets_key"],
                "decrypt",
                "Lambda decrypts the function's encrypted environment",
                via="lambda",
                sid="DecryptEnvironment",
            )
        )
        role.grant(Grant(role.principal, self._account, "xray_write", "send X-Ray traces"))
        role.grant(Grant(role.principal, self._account, "eni_describe", "Lambda looks up its VPC network"))
        role.grant(
            Grant(
                role.principal,
                asset(s, "network", "VPC network interfaces", self.network.vpc.arn),
                "eni_manage",
                "Lambda attaches the function to the private application subnets",
            )
        )
        dlq = SqsQueue(
            self,
            f"{service.name}_dlq",
            name=f"{s.prefix}-{service.name}-dlq",
            kms_master_key_id=self.foundation.key("messaging").arn,
            message_retention_seconds=14 * 86400,
        )
        dlq_asset = asset(s, "sqs_queue", f"{service.name} DLQ", dlq.arn)
        role.grant(
            Grant(
                role.principal,
                dlq_asset,
                "send",
                "failed asynchronous invocations go to the DLQ",
                sid="SendFailedInvocations",
            )
        )
        role.grant(
            Grant(
                role.principal,
                self.assets["messaging_key"],
                "encrypt",
                "SQS encrypts dead letters with the messaging key",
                via="sqs",
                sid="EncryptDeadLetters",
            )
        )
        bucket, _, key = s.artifacts[service.name].removeprefix("s3://").partition("/")
        if self._code_signing is None and not s.skips("lambda_code_signing"):
            self._code_signing = self._signing_config()
        self.functions[service.name] = LambdaFunction(
            self,
            f"{service.name}_function",
            function_name=f"{s.prefix}-{service.name}",
            role=role.arn,
            runtime="python3.12",
            handler="app.handler",
            architectures=["arm64"],
            s3_bucket=bucket,
            s3_key=key,
            timeout=15,
            memory_size=512,
            reserved_concurrent_executions=service.reserved_concurrency,
            kms_key_arn=self.foundation.key("secrets").arn,
            tracing_config={"mode": "Active"},
            dead_letter_config={"target_arn": dlq.arn},
            code_signing_config_arn=self._code_signing.arn if self._code_signing else None,
            logging_config={"log_format": "JSON", "log_group": logs.name},
            environment={"variables": {"BOI_ENV": s.environment, **service.environment_values(s)}},
            vpc_config={
                "subnet_ids": self.subnets_of(service),
                "security_group_ids": [self.security_groups[service.name].id],
            },
        )
        # A function that consumes one of its own queues is invoked by Lambda's poller.
        for queue in service.queues:
            if any(n.asset == f"{queue.id}_queue" and n.operation == "consume" for n in service.needs):
                LambdaEventSourceMapping(
                    self,
                    f"{service.id}_{queue.id}_source",
                    event_source_arn=self.assets[f"{queue.id}_queue"].arn,
                    function_name=self.functions[service.name].arn,
                    batch_size=10,
                    function_response_types=["ReportBatchItemFailures"],
                )
