"""Named action sets. Grants refer to these names, never to inline action strings."""

S3_READ_OBJECTS = ("s3:GetObject",)
S3_PUT_OBJECTS = ("s3:PutObject",)
S3_DELETE_OBJECTS = ("s3:DeleteObject",)
S3_LIST_BUCKET = ("s3:ListBucket",)
S3_LOCATE_BUCKET = ("s3:GetBucketLocation",)
S3_MULTIPART_UPLOADS = ("s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")

KMS_DECRYPT = ("kms:Decrypt",)
KMS_ENCRYPT = ("kms:Encrypt", "kms:GenerateDataKey")
KMS_ENCRYPT_DECRYPT = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")

SQS_SEND = ("sqs:SendMessage",)
SQS_CONSUME = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes")
SQS_INSPECT = ("sqs:GetQueueAttributes", "sqs:ListDeadLetterSourceQueues")

SECRET_READ = ("secretsmanager:GetSecretValue",)

DYNAMODB_READ_WRITE = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
)
DYNAMODB_READ = ("dynamodb:GetItem", "dynamodb:Query")

RDS_CONNECT = ("rds-db:connect",)

EVENTS_PUT = ("events:PutEvents",)
SNS_PUBLISH = ("sns:Publish",)

LOGS_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents")
LOGS_READ = ("logs:GetLogEvents", "logs:FilterLogEvents", "logs:DescribeLogStreams")

IAM_PASS_ROLE = ("iam:PassRole",)

# Running the saved queries of an Athena workgroup and reading their results (the workgroup's own settings
# decide where results go and how they are encrypted).
ATHENA_QUERY = (
    "athena:BatchGetNamedQuery",
    "athena:BatchGetQueryExecution",
    "athena:GetNamedQuery",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetWorkGroup",
    "athena:ListNamedQueries",
    "athena:ListQueryExecutions",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
)
# What Athena reads of the Glue Data Catalog, with the caller's permissions, to plan a query.
GLUE_CATALOG_READ = (
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
)

ECR_PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")

# Actions that accept no resource ARN: AWS evaluates them only against Resource "*".
ECR_AUTH_TOKEN = ("ecr:GetAuthorizationToken",)
XRAY_WRITE = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
EC2_ENI_DESCRIBE = (
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
)
SSM_SESSION_CHANNEL = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)

EC2_ENI_MANAGE = (
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)

ECS_INSPECT = ("ecs:DescribeServices", "ecs:DescribeTasks")
METRICS_READ = ("cloudwatch:GetMetricData",)
ALARMS_READ = ("cloudwatch:DescribeAlarms",)
CONFIG_COMPLIANCE_READ = ("config:DescribeComplianceByConfigRule", "config:DescribeConfigRules")
SECURITYHUB_FINDINGS_READ = ("securityhub:GetFindings",)

# Actions that take no resource ARN (or none that is required) and so use Resource "*". Checked
# against the IAM action database in the tests, so the list cannot quietly grow.
RESOURCE_STAR_ONLY = frozenset(
    ECR_AUTH_TOKEN + XRAY_WRITE + EC2_ENI_DESCRIBE + SSM_SESSION_CHANNEL + METRICS_READ + CONFIG_COMPLIANCE_READ
)
