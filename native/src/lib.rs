//! Native hot paths of sigma, each a "fast answer or ask Python" reader: the Python code stays the
//! reference and names every error; these only make the common case cheap (offline validation of a
//! million-record recording is mostly reading lines and decoding Avro bodies).

use pyo3::prelude::*;

mod avro;
mod constraints;
mod recording;

#[pymodule]
fn sigma_native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<avro::AvroReader>()?;
    module.add_class::<recording::LineParser>()?;
    Ok(())
}
