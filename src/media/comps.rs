//! comps (group) XML: groups, environments, categories and langpacks, with
//! the byte ranges of ids and package names so that diagnostics can point
//! into the file.

use std::ops::Range;

use super::xml::{self, XmlError, XmlEvent};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReqType {
    Mandatory,
    Default,
    Optional,
    Conditional,
}

impl ReqType {
    fn parse(text: &str) -> ReqType {
        match text {
            "mandatory" => ReqType::Mandatory,
            "optional" => ReqType::Optional,
            "conditional" => ReqType::Conditional,
            // comps.rng: `default` is the default type.
            _ => ReqType::Default,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReqType::Mandatory => "mandatory",
            ReqType::Default => "default",
            ReqType::Optional => "optional",
            ReqType::Conditional => "conditional",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageReq {
    pub name: String,
    pub kind: ReqType,
    /// `requires="…"` of a conditional package.
    pub requires: Option<String>,
    pub range: Range<usize>,
}

/// A `<name>` with its `xml:lang` (None for the untranslated one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub lang: Option<String>,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub id_range: Range<usize>,
    pub names: Vec<Name>,
    pub description: String,
    pub default: bool,
    pub uservisible: bool,
    pub packages: Vec<PackageReq>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub id: String,
    pub id_range: Range<usize>,
    pub names: Vec<Name>,
    pub description: String,
    /// `<grouplist>`: installed with the environment.
    pub groups: Vec<String>,
    /// `<optionlist>`: offered, not installed.
    pub options: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Category {
    pub id: String,
    pub names: Vec<Name>,
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Langpack {
    pub name: String,
    pub install: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comps {
    pub groups: Vec<Group>,
    pub environments: Vec<Environment>,
    pub categories: Vec<Category>,
    pub langpacks: Vec<Langpack>,
}

/// What a `@name` in `%packages` refers to.
#[derive(Clone, Copy, Debug)]
pub enum Found<'c> {
    Group(&'c Group),
    Environment(&'c Environment),
    Category(&'c Category),
}

fn name_matches(names: &[Name], wanted: &str) -> bool {
    names.iter().any(|name| name.text == wanted)
}

impl Comps {
    /// Parses comps XML. The root must be `<comps>`.
    pub fn parse(text: &str) -> Result<Comps, XmlError> {
        let mut comps = Comps::default();
        let mut path: Vec<String> = Vec::new();
        let mut root_checked = false;
        let mut group = Group::default();
        let mut environment = Environment::default();
        let mut category = Category::default();
        let mut lang: Option<String> = None;
        let mut req: Option<(ReqType, Option<String>)> = None;
        let mut bad_root = None;
        xml::walk(text, |event| match event {
            XmlEvent::Start {
                name,
                attrs,
                offset,
            } => {
                if !root_checked {
                    root_checked = true;
                    if name != "comps" {
                        bad_root = Some((offset, name.to_string()));
                    }
                }
                let attr = |key: &str| attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
                match name {
                    "group" if path.len() == 1 => group = Group::default(),
                    "environment" if path.len() == 1 => environment = Environment::default(),
                    "category" if path.len() == 1 => category = Category::default(),
                    "name" | "description" | "_name" | "_description" => lang = attr("xml:lang"),
                    "packagereq" => {
                        let kind = ReqType::parse(attr("type").as_deref().unwrap_or("default"));
                        req = Some((kind, attr("requires")));
                    }
                    "match" if path.last().map(String::as_str) == Some("langpacks") => {
                        if let (Some(name), Some(install)) = (attr("name"), attr("install")) {
                            comps.langpacks.push(Langpack { name, install });
                        }
                    }
                    _ => {}
                }
                path.push(name.to_string());
            }
            XmlEvent::End { name, text, range } => {
                path.pop();
                // `comps-*.xml.in` sources mark translatable text `<_name>`.
                let name = name.strip_prefix('_').unwrap_or(name);
                let parent = path.last().map(String::as_str).unwrap_or("");
                let grandparent = path
                    .len()
                    .checked_sub(2)
                    .and_then(|i| path.get(i))
                    .map(String::as_str)
                    .unwrap_or("");
                let text_owned = || text.to_string();
                match (grandparent, parent, name) {
                    ("comps", "group", "id") => {
                        group.id = text_owned();
                        group.id_range = range;
                    }
                    ("comps", "group", "name") => group.names.push(Name {
                        lang: lang.take(),
                        text: text_owned(),
                    }),
                    ("comps", "group", "description") if lang.take().is_none() => {
                        group.description = text_owned()
                    }
                    ("comps", "group", "default") => group.default = text == "true",
                    ("comps", "group", "uservisible") => group.uservisible = text == "true",
                    ("group", "packagelist", "packagereq") => {
                        let (kind, requires) = req.take().unwrap_or((ReqType::Default, None));
                        group.packages.push(PackageReq {
                            name: text_owned(),
                            kind,
                            requires,
                            range,
                        });
                    }
                    (_, "comps", "group") => comps.groups.push(std::mem::take(&mut group)),
                    ("comps", "environment", "id") => {
                        environment.id = text_owned();
                        environment.id_range = range;
                    }
                    ("comps", "environment", "name") => environment.names.push(Name {
                        lang: lang.take(),
                        text: text_owned(),
                    }),
                    ("comps", "environment", "description") if lang.take().is_none() => {
                        environment.description = text_owned()
                    }
                    ("environment", "grouplist", "groupid") => {
                        environment.groups.push(text_owned())
                    }
                    ("environment", "optionlist", "groupid") => {
                        environment.options.push(text_owned())
                    }
                    (_, "comps", "environment") => {
                        comps.environments.push(std::mem::take(&mut environment))
                    }
                    ("comps", "category", "id") => category.id = text_owned(),
                    ("comps", "category", "name") => category.names.push(Name {
                        lang: lang.take(),
                        text: text_owned(),
                    }),
                    ("category", "grouplist", "groupid") => category.groups.push(text_owned()),
                    (_, "comps", "category") => {
                        comps.categories.push(std::mem::take(&mut category))
                    }
                    _ => {}
                }
            }
        })?;
        if let Some((offset, name)) = bad_root {
            return Err(XmlError {
                offset,
                message: format!("the root element is `<{name}>`, not `<comps>`"),
            });
        }
        Ok(comps)
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|group| group.id == id)
    }

    pub fn environment(&self, id: &str) -> Option<&Environment> {
        self.environments.iter().find(|env| env.id == id)
    }

    /// Looks up `@name` the way the installer does: by id, then by name
    /// (untranslated or any `xml:lang` translation), in groups, then
    /// environments, then categories.
    pub fn find(&self, wanted: &str) -> Option<Found<'_>> {
        if let Some(group) = self.group(wanted) {
            return Some(Found::Group(group));
        }
        if let Some(env) = self.environment(wanted) {
            return Some(Found::Environment(env));
        }
        if let Some(category) = self.categories.iter().find(|c| c.id == wanted) {
            return Some(Found::Category(category));
        }
        if let Some(group) = self.groups.iter().find(|g| name_matches(&g.names, wanted)) {
            return Some(Found::Group(group));
        }
        if let Some(env) = self
            .environments
            .iter()
            .find(|e| name_matches(&e.names, wanted))
        {
            return Some(Found::Environment(env));
        }
        self.categories
            .iter()
            .find(|c| name_matches(&c.names, wanted))
            .map(Found::Category)
    }

    /// Like [`Comps::find`] but only environments (for `@^name`).
    pub fn find_environment(&self, wanted: &str) -> Option<&Environment> {
        self.environment(wanted).or_else(|| {
            self.environments
                .iter()
                .find(|e| name_matches(&e.names, wanted))
        })
    }

    /// Like [`Comps::find`] but groups and categories only (for `@name`,
    /// which never selects an environment in anaconda).
    pub fn find_group(&self, wanted: &str) -> Option<Found<'_>> {
        match self.find(wanted) {
            Some(Found::Environment(_)) => None,
            found => found,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <name xml:lang="de">Kern</name>
    <description>Smallest &amp; simplest.</description>
    <description xml:lang="de">Klein.</description>
    <default>true</default>
    <uservisible>false</uservisible>
    <packagelist>
      <packagereq type="mandatory">bash</packagereq>
      <packagereq>chrony</packagereq>
      <packagereq type="conditional" requires="ruby">rubygem-abrt</packagereq>
    </packagelist>
  </group>
  <environment>
    <id>minimal-environment</id>
    <name>Minimal Install</name>
    <grouplist><groupid>core</groupid></grouplist>
    <optionlist><groupid>debugging</groupid></optionlist>
  </environment>
  <category>
    <id>base-system</id>
    <name>Base System</name>
    <grouplist><groupid>core</groupid></grouplist>
  </category>
  <langpacks>
    <match install="aspell-%s" name="aspell"/>
  </langpacks>
</comps>
"#;

    #[test]
    fn parses_groups_environments_categories_langpacks() {
        let comps = Comps::parse(SAMPLE).unwrap();
        let core = comps.group("core").unwrap();
        assert_eq!(&SAMPLE[core.id_range.clone()], "core");
        assert_eq!(core.names.len(), 2);
        assert_eq!(core.names[1].lang.as_deref(), Some("de"));
        assert_eq!(core.description, "Smallest & simplest.");
        assert!(core.default && !core.uservisible);
        let kinds: Vec<_> = core.packages.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [ReqType::Mandatory, ReqType::Default, ReqType::Conditional]
        );
        assert_eq!(core.packages[2].requires.as_deref(), Some("ruby"));
        assert_eq!(&SAMPLE[core.packages[1].range.clone()], "chrony");
        let env = comps.environment("minimal-environment").unwrap();
        assert_eq!(env.groups, ["core"]);
        assert_eq!(env.options, ["debugging"]);
        assert_eq!(comps.categories[0].groups, ["core"]);
        assert_eq!(comps.langpacks[0].install, "aspell-%s");
        assert!(matches!(comps.find("Kern"), Some(Found::Group(g)) if g.id == "core"));
        assert!(comps.find_environment("Minimal Install").is_some());
        assert!(comps.find_group("minimal-environment").is_none());
    }

    #[test]
    fn malformed_xml_reports_an_offset() {
        let error = Comps::parse("<comps>\n<group><id>x</group>\n</comps>").unwrap_err();
        assert!(error.offset > 0, "{error:?}");
        let error = Comps::parse("<repomd></repomd>").unwrap_err();
        assert!(error.message.contains("<comps>"));
        assert!(Comps::parse("<comps><group>").is_err());
    }
}
