output "private_connection_string" {
  description = "mongodb+srv host over PrivateLink (credentials are added out of band)"
  value       = try(mongodbatlas_advanced_cluster.this.connection_strings[0].private_endpoint[0].srv_connection_string, null)
}
