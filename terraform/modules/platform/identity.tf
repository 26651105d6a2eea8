# Cognito: customers and staff in separate pools; staff roles are the staff pool's groups.
locals {
  staff_groups = ["underwriter", "senior_underwriter", "operations", "analyst", "admin"]
  pools = {
    # Access and id token lifetimes in minutes. Staff tokens are short-lived: a staff member
    # disabled in the pool loses access within 15 minutes (refresh fails at once).
    customers = { callbacks = var.customer_callback_urls, mfa = "OPTIONAL", token_minutes = 60 }
    staff     = { callbacks = var.staff_callback_urls, mfa = "ON", token_minutes = 15 }
  }
}

resource "aws_cognito_user_pool" "this" {
  for_each                 = local.pools
  name                     = "${var.name}-${each.key}"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  mfa_configuration        = each.value.mfa
  deletion_protection      = var.production ? "ACTIVE" : "INACTIVE"
  software_token_mfa_configuration {
    enabled = true
  }
  password_policy {
    minimum_length                   = 12
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }
  user_pool_add_ons {
    advanced_security_mode = "ENFORCED"
  }
  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }
}

resource "aws_cognito_user_pool_client" "this" {
  for_each                             = local.pools
  name                                 = "${var.name}-${each.key}-portal"
  user_pool_id                         = aws_cognito_user_pool.this[each.key].id
  generate_secret                      = false
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  callback_urls                        = each.value.callbacks
  supported_identity_providers         = ["COGNITO"]
  read_attributes                      = ["email", "email_verified"]
  explicit_auth_flows                  = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors        = "ENABLED"
  access_token_validity                = each.value.token_minutes
  id_token_validity                    = each.value.token_minutes
  refresh_token_validity               = 30
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_user_group" "staff" {
  for_each     = toset(local.staff_groups)
  name         = each.key
  user_pool_id = aws_cognito_user_pool.this["staff"].id
}

resource "aws_sesv2_email_identity" "this" {
  email_identity = var.ses_domain
}
