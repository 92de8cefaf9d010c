//! A look at a library's ELF headers before the dynamic loader maps it: a file cut short
//! (a copy interrupted, a disk full) maps without complaint and then kills the process
//! with SIGBUS when the loader touches a page past its end. Here every segment the loader
//! would map, the section table and the dynamic section must lie inside the file, and the
//! file must be a 64- or 32-bit shared object for this machine; anything else is refused
//! with one line, before `dlopen` sees it.

/// What is wrong with `bytes` as a shared library for this machine, if anything.
pub fn problem(bytes: &[u8]) -> Option<String> {
    check(bytes).err()
}

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const ET_DYN: u16 = 3;

/// This machine's `e_machine`, if known.
fn this_machine() -> Option<u16> {
    match std::env::consts::ARCH {
        "x86_64" => Some(62),
        "aarch64" => Some(183),
        "x86" => Some(3),
        "arm" => Some(40),
        "riscv64" => Some(243),
        "powerpc64" => Some(21),
        "s390x" => Some(22),
        _ => None,
    }
}

fn check(bytes: &[u8]) -> Result<(), String> {
    let len = bytes.len() as u64;
    if bytes.len() < 16 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    let wide = match bytes[4] {
        2 => true,
        1 => false,
        other => return Err(format!("an ELF file of unknown class {other}")),
    };
    let little = match bytes[5] {
        1 => true,
        2 => false,
        other => return Err(format!("an ELF file of unknown byte order {other}")),
    };
    let header_len: u64 = if wide { 64 } else { 52 };
    if len < header_len {
        return Err(format!(
            "an ELF file cut short: {len} bytes, not even its header"
        ));
    }
    let u16_at = |at: u64| -> Result<u16, String> {
        let at = at as usize;
        let b: [u8; 2] = bytes
            .get(at..at + 2)
            .and_then(|s| s.try_into().ok())
            .ok_or("a header past the end of the file")?;
        Ok(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: u64| -> Result<u32, String> {
        let at = at as usize;
        let b: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .ok_or("a header past the end of the file")?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let word_at = |at: u64| -> Result<u64, String> {
        if wide {
            let at = at as usize;
            let b: [u8; 8] = bytes
                .get(at..at + 8)
                .and_then(|s| s.try_into().ok())
                .ok_or("a header past the end of the file")?;
            Ok(if little {
                u64::from_le_bytes(b)
            } else {
                u64::from_be_bytes(b)
            })
        } else {
            u32_at(at).map(u64::from)
        }
    };
    if u16_at(16)? != ET_DYN {
        return Err("an ELF file that is not a shared library".into());
    }
    let machine = u16_at(18)?;
    if let Some(ours) = this_machine() {
        if machine != ours || wide != (std::mem::size_of::<usize>() == 8) {
            return Err(format!(
                "a shared library for another machine (ELF machine {machine}, {}-bit)",
                if wide { 64 } else { 32 }
            ));
        }
    }
    let (phoff, shoff, phentsize, phnum, shentsize, shnum) = if wide {
        (
            word_at(32)?,
            word_at(40)?,
            u16_at(54)?,
            u16_at(56)?,
            u16_at(58)?,
            u16_at(60)?,
        )
    } else {
        (
            word_at(28)?,
            word_at(32)?,
            u16_at(42)?,
            u16_at(44)?,
            u16_at(46)?,
            u16_at(48)?,
        )
    };
    let inside = |offset: u64, size: u64| offset.checked_add(size).is_some_and(|end| end <= len);
    let cut = |what: &str, end: u64| {
        format!("a library cut short: {len} bytes, but its {what} runs to byte {end}")
    };
    let table = u64::from(phentsize) * u64::from(phnum);
    if phnum == 0 || !inside(phoff, table) {
        return Err(cut("program header table", phoff.saturating_add(table)));
    }
    if shnum > 0 {
        let sections = u64::from(shentsize) * u64::from(shnum);
        if !inside(shoff, sections) {
            return Err(cut("section header table", shoff.saturating_add(sections)));
        }
    }
    let mut loads = 0;
    for i in 0..u64::from(phnum) {
        let at = phoff + i * u64::from(phentsize);
        let kind = u32_at(at)?;
        let (offset, filesz) = if wide {
            (word_at(at + 8)?, word_at(at + 32)?)
        } else {
            (word_at(at + 4)?, word_at(at + 16)?)
        };
        if matches!(kind, PT_LOAD | PT_DYNAMIC) {
            if kind == PT_LOAD {
                loads += 1;
            }
            if !inside(offset, filesz) {
                let what = if kind == PT_LOAD {
                    "segment"
                } else {
                    "dynamic section"
                };
                return Err(cut(what, offset.saturating_add(filesz)));
            }
        }
    }
    if loads == 0 {
        return Err("a shared library with nothing to load".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This test binary's own dependencies include real shared libraries: libc's.
    fn a_real_library() -> Vec<u8> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let path = maps
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .find(|p| p.contains("libc.so") || p.contains("libc-"))
            .expect("libc is mapped");
        std::fs::read(path).unwrap()
    }

    #[test]
    fn a_whole_library_passes_and_a_cut_one_is_named() {
        let lib = a_real_library();
        assert_eq!(problem(&lib), None);
        for keep in [0, 3, 40, 1024, 4096, lib.len() / 3, lib.len() - 1] {
            let found = problem(&lib[..keep]).unwrap_or_else(|| panic!("{keep} bytes pass"));
            assert!(!found.contains('\n'), "{found}");
            if keep >= 64 {
                assert!(found.contains("cut short"), "{keep}: {found}");
            }
        }
        assert_eq!(
            problem(b"this is not a shared library").as_deref(),
            Some("not an ELF file")
        );
        let mut executable = lib.clone();
        executable[16] = 2; // ET_EXEC
        assert!(problem(&executable)
            .unwrap()
            .contains("not a shared library"));
        let mut foreign = lib;
        foreign[18] = 0xb7; // aarch64 on x86_64, or the reverse
        foreign[19] = 0;
        if std::env::consts::ARCH != "aarch64" {
            assert!(problem(&foreign).unwrap().contains("another machine"));
        }
    }
}
