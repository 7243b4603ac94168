//! The compressed twins the server sends to browsers that accept them
//! (ADR 19): gzip's format by zopfli (about 5% smaller than `gzip -9`) and
//! brotli at its highest quality. Both are slow and run once per build.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;

/// Writes `<file>.gz` and `<file>.br` beside `file`.
pub fn twins(file: &Path) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    std::fs::write(with_suffix(file, "gz"), gzip(&bytes)?)?;
    std::fs::write(with_suffix(file, "br"), brotli(&bytes)?)?;
    Ok(())
}

pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    zopfli::compress(
        zopfli::Options::default(),
        zopfli::Format::Gzip,
        bytes,
        &mut out,
    )?;
    Ok(out)
}

pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::with_params(&mut out, 4096, &params);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

fn with_suffix(file: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn each_twin_holds_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("page.html");
        let body = "<!doctype html><title>Portal Ledger</title>".repeat(50);
        std::fs::write(&file, &body).unwrap();
        twins(&file).unwrap();

        let gz = std::fs::read(dir.path().join("page.html.gz")).unwrap();
        let mut unzipped = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, body);
        assert!(gz.len() < body.len() / 10, "gzip: {} bytes", gz.len());

        let br = std::fs::read(dir.path().join("page.html.br")).unwrap();
        let mut unbrotlied = String::new();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_string(&mut unbrotlied)
            .unwrap();
        assert_eq!(unbrotlied, body);
        assert!(br.len() < body.len() / 10, "brotli: {} bytes", br.len());
    }
}
