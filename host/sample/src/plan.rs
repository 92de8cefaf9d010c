//! What the sample network holds at each scale: sizes, the fixed catalog (manufacturers,
//! device types, platforms, roles, tags, namespaces, location types), and the
//! deterministic names and addresses of the generated objects, so that benchmarks and
//! tests can ask for known names (`Site 00001`, `dev-00001`, `10.0.0.1/24`).
//!
//! Pure functions only: nothing here touches the database.

use std::net::Ipv4Addr;

use serde_json::{json, Value};

/// How big a sample network to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// About 200 locations, 100 devices, 2,000 interfaces and 2,000 IP addresses.
    Small,
    /// About 10,000 locations, 5,000 devices, 100,000 interfaces and 100,000 IP addresses.
    Medium,
    /// About 100,000 locations, 50,000 devices, 1,000,000 interfaces and 1,000,000 IP
    /// addresses.
    Large,
}

impl Scale {
    /// The name as given on the command line (`small`).
    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Medium => "medium",
            Scale::Large => "large",
        }
    }

    /// The sizes of this scale.
    pub fn sizes(self) -> Sizes {
        let (regions, plugin_objects) = match self {
            Scale::Small => (10, 20),
            Scale::Medium => (50, 1_000),
            Scale::Large => (500, 10_000),
        };
        let sites_per_region = match self {
            Scale::Small => 5,
            Scale::Medium | Scale::Large => 50,
        };
        Sizes {
            regions,
            sites_per_region,
            rooms_per_site: 3,
            devices_per_site: 2,
            interfaces_per_device: 20,
            extra_prefixes_per_namespace: regions,
            addresses_per_extra_prefix: 5,
            plugin_objects_per_model: plugin_objects,
            tagged_per_tag: 100,
        }
    }
}

/// The numbers that shape a sample network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Locations of type Region.
    pub regions: usize,
    /// Sites in each region.
    pub sites_per_region: usize,
    /// Rooms in each site.
    pub rooms_per_site: usize,
    /// Devices at each site (at most [`MAX_DEVICES_PER_SITE`]).
    pub devices_per_site: usize,
    /// Interfaces of each device, one IP address each (at most [`MAX_INTERFACES`]).
    pub interfaces_per_device: usize,
    /// Prefixes in each namespace other than Global.
    pub extra_prefixes_per_namespace: usize,
    /// IP addresses in each of those prefixes.
    pub addresses_per_extra_prefix: usize,
    /// Objects of each plugin model.
    pub plugin_objects_per_model: usize,
    /// At most this many objects get each of the ordinary tags (tagging is an update of
    /// objects already created; see `super::load`).
    pub tagged_per_tag: usize,
}

/// A site's addresses are one /24: each device gets 32 of them.
pub const MAX_DEVICES_PER_SITE: usize = 8;
/// See [`MAX_DEVICES_PER_SITE`].
pub const MAX_INTERFACES: usize = 30;
/// Sites fit in 10.0.0.0/8 one /24 each.
pub const MAX_SITES: usize = 65_536;

impl Sizes {
    /// Every site.
    pub fn sites(&self) -> usize {
        self.regions * self.sites_per_region
    }

    /// Every room.
    pub fn rooms(&self) -> usize {
        self.sites() * self.rooms_per_site
    }

    /// Every location: regions, sites and rooms.
    pub fn locations(&self) -> usize {
        self.regions + self.sites() + self.rooms()
    }

    /// Every device.
    pub fn devices(&self) -> usize {
        self.sites() * self.devices_per_site
    }

    /// Every interface.
    pub fn interfaces(&self) -> usize {
        self.devices() * self.interfaces_per_device
    }

    /// Every VLAN: one per [`SITE_VLANS`] entry and site.
    pub fn vlans(&self) -> usize {
        self.sites() * SITE_VLANS.len()
    }

    /// Every prefix: the Global container and one /24 per site, and in each other
    /// namespace a container and its prefixes.
    pub fn prefixes(&self) -> usize {
        1 + self.sites() + EXTRA_NAMESPACES.len() * (1 + self.extra_prefixes_per_namespace)
    }

    /// Every IP address: one per interface, plus those of the other namespaces.
    pub fn ip_addresses(&self) -> usize {
        self.interfaces()
            + EXTRA_NAMESPACES.len()
                * self.extra_prefixes_per_namespace
                * self.addresses_per_extra_prefix
    }

    /// Whether the numbering fits: names, the /24 of every site, 32 addresses per
    /// device, 256 prefixes of each other namespace per block.
    pub fn check(&self) -> Result<(), String> {
        if self.devices_per_site > MAX_DEVICES_PER_SITE {
            return Err(format!(
                "at most {MAX_DEVICES_PER_SITE} devices per site fit in a site's /24"
            ));
        }
        if self.interfaces_per_device > MAX_INTERFACES {
            return Err(format!(
                "at most {MAX_INTERFACES} interfaces per device fit in a device's 32 addresses"
            ));
        }
        if self.sites() > MAX_SITES {
            return Err(format!("at most {MAX_SITES} sites fit in 10.0.0.0/8"));
        }
        if self.extra_prefixes_per_namespace > 4096 || self.addresses_per_extra_prefix > 254 {
            return Err("too many prefixes or addresses per other namespace".into());
        }
        if self.regions == 0 || self.sites_per_region == 0 {
            return Err("a sample network has at least one region and one site".into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The fixed catalog
// ---------------------------------------------------------------------------------------

/// The tag whose presence marks a database the sample network was loaded into.
pub const MARKER_TAG: &str = "sample-data";
/// The marker's description while the load runs; replaced by [`marker_done`] at the end.
pub const MARKER_LOADING: &str =
    "Sample network being loaded by nautobot-server load-sample-data (incomplete)";

/// The marker's description once the load has finished.
pub fn marker_done(scale: &str) -> String {
    format!("Sample network (scale {scale}) loaded by nautobot-server load-sample-data")
}

/// The location types, each with its parent and the models that may be assigned to its
/// locations (Nautobot's `content_types`).
pub const LOCATION_TYPES: [(&str, Option<&str>, &[&str]); 3] = [
    ("Region", None, &["ipam.prefix", "ipam.vlan"]),
    (
        "Site",
        Some("Region"),
        &["dcim.device", "ipam.prefix", "ipam.vlan"],
    ),
    ("Room", Some("Site"), &["dcim.device"]),
];

/// Manufacturers with their platform (name, network driver) and device types (model,
/// part number, height, interface type of the data ports).
pub struct Vendor {
    /// The manufacturer's name.
    pub manufacturer: &'static str,
    /// The platform its devices run.
    pub platform: (&'static str, &'static str),
    /// Its router (or firewall) model.
    pub router: DeviceModel,
    /// Its switch model.
    pub switch: DeviceModel,
}

/// A device type.
pub struct DeviceModel {
    /// Model name.
    pub model: &'static str,
    /// Part number.
    pub part_number: &'static str,
    /// Height in rack units.
    pub u_height: i64,
    /// Interface type of the data ports.
    pub port_type: &'static str,
}

/// The vendors, in the order sites cycle through them.
pub const VENDORS: [Vendor; 4] = [
    Vendor {
        manufacturer: "Cisco",
        platform: ("Cisco IOS-XE", "cisco_xe"),
        router: DeviceModel {
            model: "ISR4451-X",
            part_number: "ISR4451-X/K9",
            u_height: 2,
            port_type: "10gbase-x-sfpp",
        },
        switch: DeviceModel {
            model: "Catalyst 9300-48P",
            part_number: "C9300-48P",
            u_height: 1,
            port_type: "1000base-t",
        },
    },
    Vendor {
        manufacturer: "Juniper",
        platform: ("Juniper Junos", "juniper_junos"),
        router: DeviceModel {
            model: "MX204",
            part_number: "MX204-HW-BASE",
            u_height: 1,
            port_type: "100gbase-x-qsfp28",
        },
        switch: DeviceModel {
            model: "EX4300-48T",
            part_number: "EX4300-48T",
            u_height: 1,
            port_type: "1000base-t",
        },
    },
    Vendor {
        manufacturer: "Arista",
        platform: ("Arista EOS", "arista_eos"),
        router: DeviceModel {
            model: "DCS-7280SR-48C6",
            part_number: "DCS-7280SR-48C6-F",
            u_height: 1,
            port_type: "25gbase-x-sfp28",
        },
        switch: DeviceModel {
            model: "DCS-7050TX-64",
            part_number: "DCS-7050TX-64-R",
            u_height: 1,
            port_type: "10gbase-t",
        },
    },
    Vendor {
        manufacturer: "Palo Alto Networks",
        platform: ("PAN-OS", "paloalto_panos"),
        router: DeviceModel {
            model: "PA-3220",
            part_number: "PAN-PA-3220",
            u_height: 1,
            port_type: "1000base-x-sfp",
        },
        switch: DeviceModel {
            model: "PA-5220",
            part_number: "PAN-PA-5220",
            u_height: 3,
            port_type: "10gbase-x-sfpp",
        },
    },
];

/// Roles: name, colour, the models they apply to.
pub const ROLES: [(&str, &str, &[&str]); 6] = [
    ("Router", "2196f3", &["dcim.device"]),
    ("Access Switch", "4caf50", &["dcim.device"]),
    ("Firewall", "f44336", &["dcim.device"]),
    (
        "Management",
        "9c27b0",
        &["ipam.ipaddress", "ipam.prefix", "ipam.vlan"],
    ),
    ("Data", "3f51b5", &["ipam.prefix", "ipam.vlan"]),
    ("Voice", "ff9800", &["ipam.prefix", "ipam.vlan"]),
];

/// Tags besides the marker: name, colour, description, the models they apply to.
pub const TAGS: [(&str, &str, &str, &[&str]); 3] = [
    (
        "critical",
        "f44336",
        "Business-critical site",
        &["dcim.location"],
    ),
    (
        "monitored",
        "4caf50",
        "Polled by the monitoring system",
        &["dcim.device"],
    ),
    ("lab", "ff9800", "Lab address space", &["ipam.prefix"]),
];

/// The VLANs of every site: VLAN ID, name suffix, role.
pub const SITE_VLANS: [(i64, &str, &str); 3] = [
    (10, "data", "Data"),
    (20, "voice", "Voice"),
    (99, "mgmt", "Management"),
];

/// The namespaces besides Global (seeded by the ipam migration): name, description, the
/// container prefix their prefixes are carved from.
pub const EXTRA_NAMESPACES: [(&str, &str, [u8; 4], u8); 3] = [
    (
        "Lab",
        "Lab networks, overlapping the production 10/8",
        [10, 0, 0, 0],
        8,
    ),
    ("Customer A", "Customer A's VRF", [172, 16, 0, 0], 12),
    ("Customer B", "Customer B's VRF", [100, 64, 0, 0], 10),
];

/// The Global container holding every site's /24.
pub const GLOBAL_CONTAINER: &str = "10.0.0.0/8";

// ---------------------------------------------------------------------------------------
// Names and addresses (all indexes are 0-based; names count from 1)
// ---------------------------------------------------------------------------------------

/// `Region 001`.
pub fn region_name(region: usize) -> String {
    format!("Region {:03}", region + 1)
}

/// `Site 00001` (numbered across regions).
pub fn site_name(site: usize) -> String {
    format!("Site {:05}", site + 1)
}

/// `Room 00001-1`: the site's number and the room's.
pub fn room_name(site: usize, room: usize) -> String {
    format!("Room {:05}-{}", site + 1, room + 1)
}

/// `dev-00001` (numbered across sites).
pub fn device_name(device: usize) -> String {
    format!("dev-{:05}", device + 1)
}

/// `mgmt0` for the first interface, then `Ethernet1/1`, `Ethernet1/2`…
pub fn interface_name(interface: usize) -> String {
    if interface == 0 {
        "mgmt0".to_string()
    } else {
        format!("Ethernet1/{interface}")
    }
}

/// The DNS label of an interface: `mgmt0`, `ethernet1-1`…
pub fn interface_label(interface: usize) -> String {
    interface_name(interface).to_lowercase().replace('/', "-")
}

/// The DNS name of the address of a device's interface, naming both:
/// `ethernet1-1.dev-00001.sample.net`.
pub fn dns_name(device: usize, interface: usize) -> String {
    format!(
        "{}.{}.sample.net",
        interface_label(interface),
        device_name(device)
    )
}

/// `site-00001-data`.
pub fn vlan_name(site: usize, suffix: &str) -> String {
    format!("site-{:05}-{suffix}", site + 1)
}

/// The /24 of site `site`: `10.<site / 256>.<site % 256>.0/24`.
pub fn site_prefix(site: usize) -> String {
    format!("{}/24", site_network(site))
}

fn site_network(site: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, (site / 256) as u8, (site % 256) as u8, 0)
}

/// The address of interface `interface` of the `device_in_site`-th device of `site`,
/// with the site prefix's length: device k has hosts `32k+1 …` of the site's /24.
pub fn interface_address(site: usize, device_in_site: usize, interface: usize) -> String {
    let base = u32::from(site_network(site));
    let host = (device_in_site * 32 + interface + 1) as u32;
    format!("{}/24", Ipv4Addr::from(base + host))
}

/// The `index`-th /24 of a container `base/len`, and its addresses' network.
fn extra_network(base: [u8; 4], index: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::from(base)) + ((index as u32) << 8))
}

/// The container prefix of another namespace: `172.16.0.0/12`.
pub fn extra_container(namespace: usize) -> String {
    let (_, _, base, len) = EXTRA_NAMESPACES[namespace];
    format!("{}/{len}", Ipv4Addr::from(base))
}

/// The `index`-th /24 of another namespace.
pub fn extra_prefix(namespace: usize, index: usize) -> String {
    let (_, _, base, _) = EXTRA_NAMESPACES[namespace];
    format!("{}/24", extra_network(base, index))
}

/// The `host`-th address (0-based, from .1) of that /24.
pub fn extra_address(namespace: usize, index: usize, host: usize) -> String {
    let (_, _, base, _) = EXTRA_NAMESPACES[namespace];
    let net = u32::from(extra_network(base, index));
    format!("{}/24", Ipv4Addr::from(net + host as u32 + 1))
}

/// A locally administered MAC address for interface `interface` of device `device`.
pub fn mac_address(device: usize, interface: usize) -> String {
    let d = device as u32;
    format!(
        "02:00:{:02X}:{:02X}:{:02X}:{:02X}",
        (d >> 16) & 0xff,
        (d >> 8) & 0xff,
        d & 0xff,
        interface & 0xff
    )
}

/// The content types value of a list of labels.
pub fn labels(list: &[&str]) -> Value {
    json!(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nautobot_objects::values::clean_ip;

    #[test]
    fn scales_have_the_advertised_sizes() {
        let small = Scale::Small.sizes();
        assert_eq!(small.locations(), 210);
        assert_eq!(small.devices(), 100);
        assert_eq!(small.interfaces(), 2_000);
        assert_eq!(small.ip_addresses(), 2_150);
        let medium = Scale::Medium.sizes();
        assert_eq!(medium.locations(), 10_050);
        assert_eq!(medium.devices(), 5_000);
        assert_eq!(medium.interfaces(), 100_000);
        let large = Scale::Large.sizes();
        assert_eq!(large.locations(), 100_500);
        assert_eq!(large.devices(), 50_000);
        assert_eq!(large.interfaces(), 1_000_000);
        assert!(large.ip_addresses() >= 1_000_000);
        for scale in [Scale::Small, Scale::Medium, Scale::Large] {
            scale.sizes().check().unwrap();
        }
    }

    #[test]
    fn names_are_fixed_width_and_count_from_one() {
        assert_eq!(region_name(0), "Region 001");
        assert_eq!(site_name(0), "Site 00001");
        assert_eq!(room_name(24_999, 2), "Room 25000-3");
        assert_eq!(device_name(49_999), "dev-50000");
        assert_eq!(interface_name(0), "mgmt0");
        assert_eq!(interface_name(19), "Ethernet1/19");
        assert_eq!(dns_name(0, 3), "ethernet1-3.dev-00001.sample.net");
        assert_eq!(vlan_name(0, "data"), "site-00001-data");
        assert_eq!(mac_address(0x012345, 7), "02:00:01:23:45:07");
    }

    #[test]
    fn addresses_lie_in_their_prefixes_and_are_canonical() {
        let large = Scale::Large.sizes();
        let last_site = large.sites() - 1;
        assert_eq!(site_prefix(0), "10.0.0.0/24");
        assert_eq!(site_prefix(last_site), "10.97.167.0/24");
        assert_eq!(interface_address(0, 0, 0), "10.0.0.1/24");
        assert_eq!(interface_address(0, 1, 19), "10.0.0.52/24");
        assert_eq!(interface_address(300, 0, 0), "10.1.44.1/24");
        for (site, dev, iface) in [(0, 0, 0), (last_site, 7, MAX_INTERFACES - 1)] {
            let address = interface_address(site, dev, iface);
            assert_eq!(clean_ip(&address, false).unwrap(), json!(address));
            let network = clean_ip(&address, true).unwrap();
            assert_eq!(network, json!(site_prefix(site)));
        }
        for ns in 0..EXTRA_NAMESPACES.len() {
            let container = extra_container(ns);
            assert_eq!(clean_ip(&container, true).unwrap(), json!(container));
            let prefix = extra_prefix(ns, 499);
            assert_eq!(clean_ip(&prefix, true).unwrap(), json!(prefix));
            let address = extra_address(ns, 499, 4);
            assert_eq!(clean_ip(&address, true).unwrap(), json!(prefix));
        }
        assert_eq!(extra_prefix(1, 256), "172.17.0.0/24");
        assert_eq!(extra_address(2, 0, 0), "100.64.0.1/24");
    }

    #[test]
    fn every_site_has_its_own_addresses() {
        let small = Scale::Small.sizes();
        let mut seen = std::collections::HashSet::new();
        for site in 0..small.sites() {
            for dev in 0..small.devices_per_site {
                for iface in 0..small.interfaces_per_device {
                    assert!(seen.insert(interface_address(site, dev, iface)));
                }
            }
        }
        assert_eq!(seen.len(), small.interfaces());
    }
}
