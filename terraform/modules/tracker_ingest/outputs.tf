output "endpoint" {
  value = "${aws_apigatewayv2_api.this.api_endpoint}/v1/track"
}

output "function_name" {
  value = aws_lambda_function.this.function_name
}
