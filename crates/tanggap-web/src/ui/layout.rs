//! Frame shared by every page: language, user, CSRF token, navigation.

use crate::i18n::Lang;
use tanggap_core::Role;
use tanggap_service::Principal;

pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// The frame of a page.
pub(crate) struct Layout {
    pub lang: Lang,
    pub user: Option<Principal>,
    pub csrf: String,
    /// Path and query of this page, to come back to after switching language.
    pub path: String,
    pub title: String,
    /// A confirmation shown once at the top of the page.
    pub flash: Option<String>,
}

impl Layout {
    /// Translates a message without arguments.
    pub fn t(&self, key: &str) -> String {
        self.lang.text(key, &[])
    }

    /// Translates a message with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.lang.text(key, &[(name, value.to_owned())])
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// Link that switches to the other language and returns here.
    pub fn other_lang_href(&self) -> String {
        let target = match self.lang {
            Lang::Id => "en",
            Lang::En => "id",
        };
        let back: String = form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/bahasa?ke={target}&kembali={back}")
    }

    pub fn other_lang_code(&self) -> &'static str {
        match self.lang {
            Lang::Id => "en",
            Lang::En => "id",
        }
    }

    pub fn signed_in_as(&self) -> String {
        match &self.user {
            Some(user) => {
                let role = self.t(&format!("role-{}", user.role.code()));
                let name = match &user.agency {
                    Some(agency) => format!("{} ({role}, {agency})", user.display_name),
                    None => format!("{} ({role})", user.display_name),
                };
                self.t1("ui-signed-in-as", "name", &name)
            }
            None => String::new(),
        }
    }

    /// Menu entries for the user's role.
    pub fn nav(&self) -> Vec<NavItem> {
        let Some(user) = &self.user else {
            return Vec::new();
        };
        let mut items: Vec<(&'static str, &str)> = vec![("/beranda", "nav-home")];
        if user.role != Role::SystemAdmin {
            items.push(("/pengaduan", "nav-complaints"));
            items.push(("/dasbor", "nav-dashboard"));
        }
        if matches!(user.role, Role::CentralAdmin | Role::LiaisonAdmin) {
            items.push(("/pengaduan/baru", "nav-new"));
        }
        if user.role == Role::CentralAdmin {
            items.push(("/triase", "triage-nav"));
        }
        if matches!(
            user.role,
            Role::CentralAdmin | Role::CitySecretary | Role::ComplaintTeam
        ) {
            items.push(("/laporan", "nav-report"));
            items.push(("/kepatuhan", "nav-compliance"));
        }
        if matches!(
            user.role,
            Role::CentralAdmin | Role::CitySecretary | Role::ComplaintTeam | Role::AgencyHead
        ) {
            items.push(("/monev", "nav-monev"));
        }
        if tanggap_service::report_versions::may_read_versions(user) {
            items.push(("/laporan/versi", "nav-report-docs"));
        }
        if user.role == Role::CentralAdmin {
            items.push(("/impor", "nav-import"));
        }
        items.push(("/sop", "nav-sop"));
        if user.role == Role::SystemAdmin {
            items.push(("/admin", "nav-admin"));
        }
        if matches!(user.role, Role::Inspectorate | Role::CitySecretary) {
            items.push(("/audit", "nav-audit"));
        }
        items
            .into_iter()
            .map(|(href, key)| NavItem {
                href,
                label: self.t(key),
                current: self.path == href
                    || (href != "/beranda"
                        && href != "/pengaduan/baru"
                        && self.path.starts_with(href)
                        && !self.path.starts_with("/pengaduan/baru")
                        && !(href == "/laporan" && self.path.starts_with("/laporan/versi"))),
            })
            .collect()
    }
}
