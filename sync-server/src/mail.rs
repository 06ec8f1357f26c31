//! Account mail (password-reset links, email-change confirmations and notices) over SMTP with
//! `lettre`. Mail is sent outside any database transaction; a failure is logged without the
//! message (which holds a token) and without credentials.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::configuration::{SmtpSettings, SmtpTls};

/// Why mail could not be set up or sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid sender address {address:?} in [smtp] from: {message}")]
    From { address: String, message: String },
    #[error("invalid recipient address: {0}")]
    To(String),
    #[error("cannot set up TLS to the mail server: {0}")]
    Tls(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("the mail server did not take the message: {0}")]
    Send(String),
}

/// One mail to send: plain text.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends mail through the configured SMTP server.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Builds the transport (it connects per message, when sending).
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings.from.parse().map_err(|e: lettre::address::AddressError| MailError::From {
            address: settings.from.clone(),
            message: e.to_string(),
        })?;
        let tls = |host: &str| TlsParameters::new(host.to_owned()).map_err(|e| MailError::Tls(e.to_string()));
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls(&settings.host)?),
            SmtpTls::Tls => Tls::Wrapper(tls(&settings.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())
            .port(settings.port())
            .tls(tls)
            .timeout(Some(Duration::from_secs(settings.timeout_secs.max(1))));
        if let Some(username) = &settings.username {
            let password = settings.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(Self { transport: builder.build(), from })
    }

    /// Sends `mail`. The error says what failed, never the message's text.
    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to: Mailbox = mail.to.parse().map_err(|e: lettre::address::AddressError| MailError::To(e.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| MailError::Build(e.to_string()))?;
        self.transport.send(message).await.map_err(|e| MailError::Send(e.to_string()))?;
        Ok(())
    }
}

/// The texts of the account mails. Links point at `public_url`; the token travels in the URL
/// fragment, which browsers never send to a server (so it stays out of proxies' logs).
pub mod texts {
    use super::Mail;

    pub fn password_reset(to: &str, public_url: &str, token: &str, ttl_secs: u64) -> Mail {
        Mail {
            to: to.to_owned(),
            subject: "Reset your RevLens password".to_owned(),
            body: format!(
                "Someone (hopefully you) asked to reset the password of the RevLens account\r\n\
                 for {to}.\r\n\r\n\
                 To choose a new password, open this link within {}:\r\n\r\n\
                 {public_url}/reset-password#token={token}\r\n\r\n\
                 The link works once. If you did not ask for it, ignore this mail: your\r\n\
                 password stays as it is.\r\n",
                duration(ttl_secs)
            ),
        }
    }

    pub fn email_change_confirm(to: &str, public_url: &str, token: &str, ttl_secs: u64) -> Mail {
        Mail {
            to: to.to_owned(),
            subject: "Confirm your new RevLens email address".to_owned(),
            body: format!(
                "Someone (hopefully you) asked to use {to} as the email address of their\r\n\
                 RevLens account.\r\n\r\n\
                 To confirm, open this link within {}:\r\n\r\n\
                 {public_url}/confirm-email#token={token}\r\n\r\n\
                 The link works once. If you did not ask for it, ignore this mail.\r\n",
                duration(ttl_secs)
            ),
        }
    }

    pub fn email_change_notice(to: &str, new_email: &str) -> Mail {
        Mail {
            to: to.to_owned(),
            subject: "Your RevLens email address is about to change".to_owned(),
            body: format!(
                "Someone signed in to your RevLens account ({to}) asked to change its email\r\n\
                 address to {new_email}. The change happens when the link sent to that\r\n\
                 address is opened.\r\n\r\n\
                 If this was not you, change your password now and tell your administrator.\r\n"
            ),
        }
    }

    /// `3600` → "1 hour", `90` → "2 minutes", `1` → "1 second".
    pub fn duration(secs: u64) -> String {
        let plural = |n: u64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
        if secs >= 86_400 && secs.is_multiple_of(86_400) {
            plural(secs / 86_400, "day")
        } else if secs >= 3600 && secs.is_multiple_of(3600) {
            plural(secs / 3600, "hour")
        } else if secs >= 60 {
            plural(secs.div_ceil(60), "minute")
        } else {
            plural(secs, "second")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(texts::duration(3600), "1 hour");
        assert_eq!(texts::duration(7200), "2 hours");
        assert_eq!(texts::duration(86_400), "1 day");
        assert_eq!(texts::duration(90), "2 minutes");
        assert_eq!(texts::duration(1), "1 second");
    }

    #[test]
    fn a_bad_sender_is_refused_at_start() {
        let settings = SmtpSettings::new("localhost", "not an address");
        assert!(matches!(Mailer::new(&settings), Err(MailError::From { .. })));
        let settings = SmtpSettings::new("localhost", "RevLens <no-reply@example.com>");
        assert!(Mailer::new(&settings).is_ok());
    }

    #[test]
    fn links_carry_the_token_in_the_fragment() {
        let mail = texts::password_reset("a@example.com", "https://sync.example.com", "TOKEN", 3600);
        assert!(mail.body.contains("https://sync.example.com/reset-password#token=TOKEN\r\n"));
        assert!(mail.body.contains("within 1 hour"));
    }
}
