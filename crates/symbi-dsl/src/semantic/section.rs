//! Checking the keyed blocks: schedules (cron or `at`, timezone), webhooks (path, provider,
//! secret, filter), memory (store, path, retention, search weights) and channels (platform,
//! policies, data classification).

use std::time::Duration;

use super::{Checker, Fields, Names, Shape, time};
use crate::ast::{Entry, ExprKind, Literal, Member, Section, SectionKind};
use crate::model::{
    Channel, Classification, Filter, FilterMatch, Memory, Model, Platform, Provider, Schedule, Secret, Timing, Webhook,
};
use crate::semantic::error::CheckError;

const SCHEDULE: Shape = Shape {
    place: "a schedule",
    keys: &["cron", "at", "timezone", "agent", "policy", "audit", "one_shot", "deliver"],
    nested: &[],
    known: "`cron`, `at`, `timezone`, `agent`, `policy`, `audit`, `one_shot`, `deliver`",
    policies: false,
};
const WEBHOOK: Shape = Shape {
    place: "a webhook",
    keys: &["path", "provider", "secret", "agent"],
    nested: &["filter"],
    known: "`path`, `provider`, `secret`, `agent`, `filter { … }`",
    policies: false,
};
const FILTER: Shape = Shape {
    place: "a filter",
    keys: &["json_path", "equals", "contains"],
    nested: &[],
    known: "`json_path`, `equals`, `contains`",
    policies: false,
};
const MEMORY: Shape = Shape {
    place: "a memory block",
    keys: &["store", "path", "retention"],
    nested: &["search"],
    known: "`store`, `path`, `retention`, `search { … }`",
    policies: false,
};
const SEARCH: Shape = Shape {
    place: "a search block",
    keys: &["vector_weight", "keyword_weight"],
    nested: &[],
    known: "`vector_weight`, `keyword_weight`",
    policies: false,
};
const CHANNEL: Shape = Shape {
    place: "a channel",
    keys: &["platform", "workspace", "channels", "default_agent", "dlp_profile", "audit_level", "default_deny"],
    nested: &["data_classification"],
    known: "`platform`, `workspace`, `channels`, `default_agent`, `dlp_profile`, `audit_level`, `default_deny`, \
            `data_classification { … }`, `policy name { … }`",
    policies: true,
};

impl Checker {
    pub(super) fn section(&mut self, section: &Section, model: &mut Model) {
        match section.kind {
            SectionKind::Schedule => {
                if let Some(schedule) = self.schedule(section) {
                    model.schedules.push(schedule);
                }
            }
            SectionKind::Webhook => {
                if let Some(webhook) = self.webhook(section) {
                    model.webhooks.push(webhook);
                }
            }
            SectionKind::Memory => model.memories.push(self.memory(section)),
            SectionKind::Channel => {
                if let Some(channel) = self.channel(section) {
                    model.channels.push(channel);
                }
            }
        }
    }

    fn schedule(&mut self, section: &Section) -> Option<Schedule> {
        let fields = self.fields(&section.members, &SCHEDULE);
        let timing = match (fields.get("cron"), fields.get("at")) {
            (Some(cron), None) => {
                let value = self.text(cron, "`cron = \"0 9 * * 1-5\"`")?;
                if let Err(reason) = time::check_cron(&value) {
                    self.errors.push(CheckError::InvalidCron { value, reason, span: cron.value.span });
                    return None;
                }
                Timing::Cron(value)
            }
            (None, Some(at)) => {
                let value = self.text(at, "`at = \"2026-01-31T09:00:00Z\"`")?;
                if let Err(reason) = time::check_instant(&value) {
                    self.errors.push(CheckError::InvalidTime { value, reason, span: at.value.span });
                    return None;
                }
                Timing::At(value)
            }
            _ => {
                let name = section.name.name.clone();
                self.errors.push(CheckError::ScheduleTiming { name, span: section.name.span });
                return None;
            }
        };
        let timezone = match fields.get("timezone") {
            Some(entry) => {
                let value = self.text(entry, "`timezone = \"Europe/Berlin\"`")?;
                if !time::is_timezone(&value) {
                    self.errors.push(CheckError::InvalidTimezone { value, span: entry.value.span });
                    return None;
                }
                value
            }
            None => "UTC".to_owned(),
        };
        Some(Schedule {
            name: section.name.name.clone(),
            span: section.span,
            timing,
            timezone,
            agent: self.optional_text(&fields, "agent", "`agent = \"reporter\"`"),
            policy: self.optional_text(&fields, "policy", "`policy = \"nightly\"`"),
            audit: self.optional_text(&fields, "audit", "`audit = \"all_operations\"`"),
            one_shot: fields.get("one_shot").and_then(|entry| self.boolean(entry)).unwrap_or(false),
            deliver: fields
                .get("deliver")
                .and_then(|entry| self.text_list(entry, "`deliver = [\"slack:#ops\"]`"))
                .unwrap_or_default(),
        })
    }

    fn optional_text(&mut self, fields: &Fields<'_>, key: &str, example: &'static str) -> Option<String> {
        fields.get(key).and_then(|entry| self.text(entry, example))
    }

    fn webhook(&mut self, section: &Section) -> Option<Webhook> {
        let fields = self.fields(&section.members, &WEBHOOK);
        let Some(path_entry) = fields.get("path") else {
            self.missing("webhook", section, "path", "`path = \"/hooks/github\"`");
            return None;
        };
        let path = self.text(path_entry, "`path = \"/hooks/github\"`")?;
        if !path.starts_with('/') {
            return self.invalid(
                "path",
                "a path starting with `/`",
                "`path = \"/hooks/github\"`",
                path_entry.value.span,
            );
        }
        let provider = self.optional_text(&fields, "provider", "`provider = github`").map(|name| {
            match name.to_ascii_lowercase().as_str() {
                "github" => Provider::GitHub,
                "stripe" => Provider::Stripe,
                "slack" => Provider::Slack,
                _ => Provider::Custom(name),
            }
        });
        let secret = match fields.get("secret") {
            Some(entry) => Some(self.secret(entry)?),
            None => None,
        };
        let filter = match fields.nested("filter") {
            Some(nested) => Some(self.filter(section, &nested.members)?),
            None => None,
        };
        if let Some(first) = self.webhook_paths.insert(&path, path_entry.value.span) {
            self.duplicate("webhook path", &path, path_entry.value.span, first);
        }
        Some(Webhook {
            name: section.name.name.clone(),
            span: section.span,
            path,
            provider,
            secret,
            agent: self.optional_text(&fields, "agent", "`agent = \"triage\"`"),
            filter,
        })
    }

    fn secret(&mut self, entry: &Entry) -> Option<Secret> {
        let example = "`secret = vault://webhooks/github`";
        match &entry.value.kind {
            ExprKind::Literal(Literal::Vault(path)) => Some(Secret::Vault(path.clone())),
            ExprKind::Literal(Literal::Str(text)) => match text.strip_prefix("vault://") {
                Some("") => self.invalid("secret", "a `vault://` reference with a path", example, entry.value.span),
                Some(path) => Some(Secret::Vault(path.to_owned())),
                None => Some(Secret::Inline(text.clone())),
            },
            _ => self.invalid("secret", "a `vault://` reference or text", example, entry.value.span),
        }
    }

    fn filter(&mut self, section: &Section, members: &[Member]) -> Option<Filter> {
        let fields = self.fields(members, &FILTER);
        let Some(path_entry) = fields.get("json_path") else {
            self.missing("webhook", section, "json_path", "`json_path = \"$.action\"` in its filter");
            return None;
        };
        let json_path = self.scalar(path_entry)?;
        let matcher = match (fields.get("equals"), fields.get("contains")) {
            (Some(entry), None) => FilterMatch::Equals(self.scalar(entry)?),
            (None, Some(entry)) => FilterMatch::Contains(self.scalar(entry)?),
            (Some(_), Some(entry)) => {
                let what = "`contains` next to `equals`".to_owned();
                self.errors.push(CheckError::Misplaced { what, place: "a filter", span: entry.key.span });
                return None;
            }
            (None, None) => {
                self.missing("webhook", section, "equals", "`equals = \"created\"` in its filter");
                return None;
            }
        };
        Some(Filter { json_path, matcher })
    }

    /// Text, a number or a boolean, as text (filter values).
    fn scalar(&mut self, entry: &Entry) -> Option<String> {
        match &entry.value.kind {
            ExprKind::Literal(Literal::Str(text)) | ExprKind::Name(text) => Some(text.clone()),
            ExprKind::Literal(Literal::Int(n)) => Some(n.to_string()),
            ExprKind::Literal(Literal::Float(x)) => Some(x.to_string()),
            ExprKind::Literal(Literal::Bool(b)) => Some(b.to_string()),
            _ => self.invalid(&entry.key.name, "text or a number", "`equals = \"created\"`", entry.value.span),
        }
    }

    fn missing(&mut self, place: &'static str, section: &Section, key: &'static str, example: &'static str) {
        let name = section.name.name.clone();
        self.errors.push(CheckError::MissingKey { place, name, key, example, span: section.name.span });
    }

    fn memory(&mut self, section: &Section) -> Memory {
        let fields = self.fields(&section.members, &MEMORY);
        if let Some(entry) = fields.get("store")
            && let Some(store) = self.text(entry, "`store = markdown`")
            && store != "markdown"
        {
            let span = entry.value.span;
            let known = "`markdown`";
            self.errors.push(CheckError::UnknownValue { what: "memory store", value: store, known, span });
        }
        let path =
            self.optional_text(&fields, "path", "`path = \"data/agents\"`").unwrap_or_else(|| "data/agents".into());
        let retention = fields
            .get("retention")
            .and_then(|entry| self.duration("retention", &entry.value))
            .unwrap_or(Duration::from_secs(90 * 86_400));
        let mut vector_weight = 0.7;
        let mut keyword_weight = 0.3;
        if let Some(search) = fields.nested("search") {
            let weights = self.fields(&search.members, &SEARCH);
            if let Some(weight) = weights.get("vector_weight").and_then(|entry| self.weight(entry)) {
                vector_weight = weight;
            }
            if let Some(weight) = weights.get("keyword_weight").and_then(|entry| self.weight(entry)) {
                keyword_weight = weight;
            }
        }
        Memory { name: section.name.name.clone(), span: section.span, path, retention, vector_weight, keyword_weight }
    }

    fn weight(&mut self, entry: &Entry) -> Option<f64> {
        let example = "`vector_weight = 0.7`";
        let value = self.number(entry, example)?;
        if (0.0..=1.0).contains(&value) {
            Some(value)
        } else {
            self.invalid(&entry.key.name, "a number from 0 to 1", example, entry.value.span)
        }
    }

    fn channel(&mut self, section: &Section) -> Option<Channel> {
        let fields = self.fields(&section.members, &CHANNEL);
        let mut policies = Names::default();
        let mut checked = Vec::new();
        for policy in &fields.policies {
            if let Some(first) = policies.insert(&policy.name.name, policy.name.span) {
                self.duplicate("policy", &policy.name.name, policy.name.span, first);
            }
            checked.push(self.policy(policy));
        }
        let mut data_classification = Vec::new();
        if let Some(block) = fields.nested("data_classification") {
            let mut classes = Names::default();
            for member in &block.members {
                let Member::Entry(entry) = member else {
                    let what = "a nested block".to_owned();
                    let span = match member {
                        Member::Nested(nested) => nested.span,
                        Member::Policy(policy) => policy.span,
                        Member::Entry(entry) => entry.span,
                    };
                    self.errors.push(CheckError::Misplaced { what, place: "data_classification", span });
                    continue;
                };
                if let Some(first) = classes.insert(&entry.key.name, entry.key.span) {
                    self.duplicate("data class", &entry.key.name, entry.key.span, first);
                    continue;
                }
                let Some(action) = self.text(entry, "`pii = redact`") else { continue };
                let class = match action.as_str() {
                    "allow" => Classification::Allow,
                    "redact" => Classification::Redact,
                    "block" => Classification::Block,
                    _ => {
                        self.errors.push(CheckError::UnknownValue {
                            what: "classification action",
                            value: action,
                            known: "`allow`, `redact` or `block`",
                            span: entry.value.span,
                        });
                        continue;
                    }
                };
                data_classification.push((entry.key.name.clone(), class));
            }
        }
        let Some(platform_entry) = fields.get("platform") else {
            self.missing("channel", section, "platform", "`platform = slack`");
            return None;
        };
        let name = self.text(platform_entry, "`platform = slack`")?;
        let platform = match name.to_ascii_lowercase().as_str() {
            "slack" => Platform::Slack,
            "teams" => Platform::Teams,
            "mattermost" => Platform::Mattermost,
            _ => {
                let span = platform_entry.value.span;
                let known = "`slack`, `teams` or `mattermost`";
                self.errors.push(CheckError::UnknownValue { what: "platform", value: name, known, span });
                return None;
            }
        };
        Some(Channel {
            name: section.name.name.clone(),
            span: section.span,
            platform,
            workspace: self.optional_text(&fields, "workspace", "`workspace = \"acme\"`"),
            channels: fields
                .get("channels")
                .and_then(|entry| self.text_list(entry, "`channels = [\"#ops\"]`"))
                .unwrap_or_default(),
            default_agent: self.optional_text(&fields, "default_agent", "`default_agent = \"helper\"`"),
            dlp_profile: self.optional_text(&fields, "dlp_profile", "`dlp_profile = \"strict\"`"),
            audit_level: self.optional_text(&fields, "audit_level", "`audit_level = \"full\"`"),
            default_deny: fields.get("default_deny").and_then(|entry| self.boolean(entry)).unwrap_or(true),
            policies: checked,
            data_classification,
        })
    }
}
