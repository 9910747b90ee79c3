use folio_corpus::*;
use std::path::Path;

fn pipeline() -> Pipeline {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let settings: toml::Table =
        toml::from_str(&std::fs::read_to_string(root.join("config/folio.toml")).unwrap()).unwrap();
    let cleaning: CleaningConfig = settings["cleaning"].clone().try_into().unwrap();
    let taxonomy =
        Taxonomy::from_toml(&std::fs::read_to_string(root.join("config/themes.toml")).unwrap())
            .unwrap();
    Pipeline::new(
        Cleaner::new(&cleaning).unwrap(),
        Tagger::new(&taxonomy, folio_text::Analyzer::new()).unwrap(),
    )
}

#[test]
fn dump() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../index/corpus");
    let corpus = Corpus::open(&root).unwrap();
    let p = pipeline();
    for doc in corpus.documents() {
        let doc = p.prepare(doc.unwrap()).unwrap();
        println!(
            "=== {} {:?} {} {}",
            doc.meta.id, doc.meta.title, doc.meta.source, doc.meta.year
        );
        for para in &doc.paragraphs {
            let t: String = para.text.chars().take(70).collect();
            println!(
                "{:>3} {:?} {:8}{:?} [{}] {:?} | {}",
                para.position,
                para.line,
                para.kind.as_str(),
                para.label,
                para.section.as_deref().unwrap_or("-"),
                para.themes,
                t
            );
        }
        for d in &doc.dropped {
            println!(
                "  DROP {:?} {:?} {}",
                d.line,
                d.reason,
                d.text.chars().take(70).collect::<String>()
            );
        }
    }
}
