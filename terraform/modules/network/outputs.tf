output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the public subnets, in the order of var.azs."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, in the order of var.azs."
  value       = aws_subnet.private[*].id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways: one per zone, or one in the first zone when nat_gateway_mode is \"single\"."
  value       = aws_nat_gateway.this[*].id
}

output "flow_log_id" {
  description = "ID of the VPC flow log."
  value       = aws_flow_log.this.id
}

output "flow_log_group_name" {
  description = "Name of the CloudWatch log group that receives the flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group."
  value       = aws_kms_key.flow_logs.arn
}
