/** Cognito's error types in plain words for the customer (the type names never reach the page). */
const MESSAGES: Record<string, string> = {
  UsernameExistsException: "There is already an account with that email address. Sign in instead.",
  InvalidPasswordException:
    "Choose a password of at least 8 characters with a capital letter, a small letter, a number and a symbol.",
  InvalidParameterException: "Check your email address and password.",
  CodeMismatchException: "That code is not right. Check the email we sent you and try again.",
  ExpiredCodeException: "That code has expired. Ask for a new one.",
  UserNotConfirmedException: "Confirm your email address first: enter the code we sent you.",
  UserNotFoundException: "We cannot find an account with that email address.",
  NotAuthorizedException: "That email address and password do not match our records.",
  LimitExceededException: "Too many tries. Please wait a few minutes and try again.",
  TooManyRequestsException: "Too many tries. Please wait a few minutes and try again.",
};

export function authMessage(type: string): string {
  return MESSAGES[type] ?? "Something went wrong. Please try again.";
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The registration form's own checks, worded as the page shows them (field → message). */
export function registrationErrors(email: string, password: string, confirm: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (!EMAIL.test(email.trim())) errors.email = "Enter an email address like name@example.com";
  if (password.length < 8 || !/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password) || !/[^A-Za-z0-9]/.test(password)) {
    errors.password = MESSAGES.InvalidPasswordException;
  }
  if (confirm !== password) errors.confirm = "The passwords do not match";
  return errors;
}
