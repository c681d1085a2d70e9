//! Native hot paths of sigma, each a "fast answer or ask Python" reader: the Python code stays the
//! reference and names every error; these only make the common case cheap (offline validation of a
//! million-record recording is mostly reading lines and decoding Avro bodies, and every record's partition
//! is checked with Kafka's murmur2).

use pyo3::prelude::*;

mod avro;
mod constraints;
mod placement;
mod recording;

#[pymodule]
fn sigma_native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<avro::AvroReader>()?;
    module.add_class::<recording::LineParser>()?;
    module.add_function(wrap_pyfunction!(placement::murmur2, module)?)?;
    Ok(())
}
