//! Staff roles.

use crate::complaint::coded_enum;
use serde::{Deserialize, Serialize};

coded_enum! {
    /// Role of a staff account, which fixes what it may do. Agency-scoped roles carry their agency
    /// on the user account, not here.
    Role {
        /// Admin Utama: verifies, holds, archives, dispatches, forwards.
        CentralAdmin = "central_admin",
        /// Admin Penghubung of one agency: follows up and responds.
        LiaisonAdmin = "liaison_admin",
        /// Head of one agency: reads the agency's complaints and dashboards.
        AgencyHead = "agency_head",
        /// Sekretaris Daerah: reads everything, approves reports.
        CitySecretary = "city_secretary",
        /// Tim Pengaduan: runs the quarterly report and monitoring.
        ComplaintTeam = "complaint_team",
        /// Inspektorat: reads complaints that need inspection.
        Inspectorate = "inspectorate",
        /// Manages users and master data; sees no complaint content.
        SystemAdmin = "system_admin",
    }
}

impl Role {
    /// Tells whether accounts with this role must belong to an agency.
    pub fn is_agency_scoped(self) -> bool {
        matches!(self, Role::LiaisonAdmin | Role::AgencyHead)
    }
}
