//! The customer directory projection: each customer's profile, addresses, preferences and
//! segments from the customers' topic into Postgres, its personal fields opened with the
//! customer's data key ([`opening`]), in generations rebuilt blue-green like the directory's.

mod opening;
mod rebuild;
mod runner;

use std::sync::Arc;

use events::EventFamily;
use events::codec::AnyEvent;
use events::customers::CustomerEvent;
use events::topics::Category;
use store::customer_directory::CustomerDirectory;
use store::event_store::EventStore;
use store::read_model::Projected;
use store::subject_keys::{KeyWrapper, PgSubjectKeys, SubjectKeys};

use crate::cli::CustomersArgs;
use crate::engine::Source;
use crate::projection::{ApplyError, Mode, Projection, redrive_stream};
pub use rebuild::{RebuiltCustomers, rebuild};
pub use runner::CustomerRunner;

/// The projection's name in metrics, dead-letter headers and the parked streams.
pub const NAME: &str = "customer-directory";

/// Where generation `generation` reads from.
pub fn source(
    kafka: &runtime::kafka::KafkaArgs,
    args: &CustomersArgs,
    generation: u32,
    mode: Mode,
) -> Source {
    let topics = kafka.topics();
    let group = match generation {
        0 => args.consumer_group.clone(),
        n => format!("{}.g{n}", args.consumer_group),
    };
    Source {
        topic: topics.events(Category::Customers),
        dead_letter_topic: topics.dead_letters(Category::Customers),
        group,
        mode,
    }
}

/// The customers' data keys, unwrapped with the key derived from the master key.
pub fn subject_keys(
    master: &runtime::master_key::MasterKeyArgs,
    pool: &sqlx::PgPool,
) -> anyhow::Result<Arc<dyn SubjectKeys>> {
    use secrecy::ExposeSecret;
    let raw = master.bytes()?;
    let wrapper = KeyWrapper::derive(raw.expose_secret())
        .map_err(|e| anyhow::anyhow!("deriving the subject keys' wrapper: {e}"))?;
    Ok(Arc::new(PgSubjectKeys::new(
        pool.clone(),
        Arc::new(wrapper),
    )))
}

pub struct CustomerProjection {
    directory: CustomerDirectory,
    keys: Arc<dyn SubjectKeys>,
    store: Arc<dyn EventStore>,
}

impl std::fmt::Debug for CustomerProjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerProjection")
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

impl CustomerProjection {
    pub fn new(
        directory: CustomerDirectory,
        keys: Arc<dyn SubjectKeys>,
        store: Arc<dyn EventStore>,
    ) -> Self {
        Self {
            directory,
            keys,
            store,
        }
    }

    async fn apply_recorded(
        &self,
        recorded: &events::Recorded<CustomerEvent>,
    ) -> Result<Projected, ApplyError> {
        let stream_id = &recorded.envelope.stream_id;
        let customer_id = Category::Customers
            .id_of(stream_id)
            .ok_or_else(|| ApplyError::Permanent(format!("{stream_id} names no customer")))?;
        let key = self
            .keys
            .find(customer_id)
            .await
            .map_err(ApplyError::from)?;
        let change =
            opening::change(&recorded.event, key.as_ref()).map_err(ApplyError::Permanent)?;
        self.directory
            .apply(customer_id, &recorded.envelope, &change)
            .await
            .map_err(ApplyError::from)
    }
}

#[async_trait::async_trait]
impl Projection for CustomerProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn apply(&self, event: &AnyEvent, _: Mode) -> Result<&'static str, ApplyError> {
        let AnyEvent::Customer(recorded) = event else {
            return Ok("ignored");
        };
        Ok(match self.apply_recorded(recorded).await? {
            Projected::Applied => "applied",
            Projected::AlreadyApplied => "already_applied",
        })
    }

    async fn redrive(&self, stream_id: &str, from_version: i64) -> Result<i64, ApplyError> {
        let category = Category::Customers;
        redrive_stream(
            &*self.store,
            category,
            NAME,
            stream_id,
            from_version,
            |raw| async move {
                let recorded = CustomerEvent::from_raw(&raw)
                    .map_err(|e| ApplyError::Permanent(e.to_string()))?;
                self.apply_recorded(&recorded).await.map(drop)
            },
        )
        .await
    }

    async fn sink_available(&self) -> bool {
        self.directory.reachable().await
    }
}
